/*
 * The libldap (OpenLDAP's C client library) peer of the benchmarks.
 *
 *   ldap_peer URL CA_FILE CERT_FILE KEY_FILE
 *
 * A long-lived child of the bench process, so that process start-up is
 * never measured. It reads commands from stdin, one per line:
 *
 *   connect         opens and binds (SASL EXTERNAL) the kept connection that
 *                   seq and inflight use, so that their first run does not
 *                   include it
 *   handshake N     N times: ldap_initialize, SASL EXTERNAL bind over
 *                   LDAPS, WhoAmI, ldap_unbind_ext (a new connection and a
 *                   full TLS handshake each time)
 *   seq N           N WhoAmIs one after the other on the kept connection
 *   inflight N K    N WhoAmIs on the kept connection, K in flight at once
 *                   (a new one sent as each result arrives)
 *   quit            exits (so does end of input)
 *
 * and answers each with one line, "ok COUNT CPU_US": the operations (or
 * handshakes) done and the CPU this process used for the command
 * (getrusage(RUSAGE_SELF), user + system, in microseconds). On any failure
 * it answers "error WHAT: LIBLDAP MESSAGE" and exits.
 *
 * The kept connection (seq, inflight) is opened by connect (or, without it,
 * before the first command that needs it, outside that command's CPU
 * count). The TLS context
 * (CA, client certificate and key) is made once, at start, and shared by
 * every connection, as the Rust peers share one rustls ClientConfig.
 * libldap sets TCP_NODELAY on its sockets itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <lber.h>
#include <ldap.h>

static const char *url;
static LDAP *kept;

static long long cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
           ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static void fail(const char *what, int rc)
{
    printf("error %s: %s (%d)\n", what, ldap_err2string(rc), rc);
    fflush(stdout);
    exit(1);
}

static void fail_ld(const char *what, LDAP *ld)
{
    int rc = LDAP_OTHER;
    char *diag = NULL;
    ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc);
    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    printf("error %s: %s (%d)%s%s\n", what, ldap_err2string(rc), rc,
           diag && *diag ? ": " : "", diag ? diag : "");
    fflush(stdout);
    exit(1);
}

static LDAP *open_bound(void)
{
    LDAP *ld = NULL;
    int version = LDAP_VERSION3;
    /* Empty credentials, present: absent ones (bv_val NULL) make slapd
     * answer saslBindInProgress and wait for a second round. */
    char nothing[1] = "";
    struct berval empty = {0, nothing};
    int rc = ldap_initialize(&ld, url);
    if (rc != LDAP_SUCCESS)
        fail("ldap_initialize", rc);
    rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    if (rc != LDAP_OPT_SUCCESS)
        fail("LDAP_OPT_PROTOCOL_VERSION", rc);
    rc = ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &empty, NULL, NULL, NULL);
    if (rc != LDAP_SUCCESS)
        fail_ld("SASL EXTERNAL bind", ld);
    return ld;
}

static void send_whoami(LDAP *ld, int *msgid)
{
    int rc = ldap_extended_operation(ld, LDAP_EXOP_WHO_AM_I, NULL, NULL, NULL,
                                     msgid);
    if (rc != LDAP_SUCCESS)
        fail_ld("WhoAmI request", ld);
}

/* Waits for one complete result (msgid, or any with LDAP_RES_ANY) and
 * checks that it is a successful WhoAmI naming someone. */
static void take_whoami(LDAP *ld, int msgid)
{
    LDAPMessage *res = NULL;
    struct berval *data = NULL;
    char *oid = NULL;
    int err = LDAP_OTHER;
    int rc = ldap_result(ld, msgid, LDAP_MSG_ALL, NULL, &res);
    if (rc != LDAP_RES_EXTENDED) {
        if (rc > 0)
            ldap_msgfree(res);
        fail_ld("WhoAmI result", ld);
    }
    rc = ldap_parse_result(ld, res, &err, NULL, NULL, NULL, NULL, 0);
    if (rc != LDAP_SUCCESS)
        fail("WhoAmI result parse", rc);
    if (err != LDAP_SUCCESS)
        fail("WhoAmI", err);
    rc = ldap_parse_extended_result(ld, res, &oid, &data, 1);
    if (rc != LDAP_SUCCESS)
        fail("WhoAmI extended result parse", rc);
    if (data == NULL || data->bv_len == 0)
        fail("WhoAmI: anonymous after EXTERNAL", LDAP_OTHER);
    ber_bvfree(data);
    ldap_memfree(oid);
}

static unsigned long long cmd_handshake(unsigned long long n)
{
    for (unsigned long long i = 0; i < n; i++) {
        LDAP *ld = open_bound();
        int msgid;
        send_whoami(ld, &msgid);
        take_whoami(ld, msgid);
        int rc = ldap_unbind_ext(ld, NULL, NULL);
        if (rc != LDAP_SUCCESS)
            fail("unbind", rc);
    }
    return n;
}

static unsigned long long cmd_inflight(unsigned long long n,
                                       unsigned long long k)
{
    unsigned long long sent = 0, done = 0;
    int msgid;
    if (k == 0)
        k = 1;
    while (sent < n && sent < k) {
        send_whoami(kept, &msgid);
        sent++;
    }
    while (done < n) {
        take_whoami(kept, LDAP_RES_ANY);
        done++;
        if (sent < n) {
            send_whoami(kept, &msgid);
            sent++;
        }
    }
    return done;
}

int main(int argc, char **argv)
{
    char line[256];
    int rc, demand = LDAP_OPT_X_TLS_DEMAND, client = 0;

    if (argc != 5) {
        printf("error usage: ldap_peer URL CA_FILE CERT_FILE KEY_FILE\n");
        return 2;
    }
    url = argv[1];
    /* The global options, inherited by every LDAP handle made after. */
    if ((rc = ldap_set_option(NULL, LDAP_OPT_X_TLS_CACERTFILE, argv[2])) !=
        LDAP_OPT_SUCCESS)
        fail("LDAP_OPT_X_TLS_CACERTFILE", rc);
    if ((rc = ldap_set_option(NULL, LDAP_OPT_X_TLS_CERTFILE, argv[3])) !=
        LDAP_OPT_SUCCESS)
        fail("LDAP_OPT_X_TLS_CERTFILE", rc);
    if ((rc = ldap_set_option(NULL, LDAP_OPT_X_TLS_KEYFILE, argv[4])) !=
        LDAP_OPT_SUCCESS)
        fail("LDAP_OPT_X_TLS_KEYFILE", rc);
    if ((rc = ldap_set_option(NULL, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)) !=
        LDAP_OPT_SUCCESS)
        fail("LDAP_OPT_X_TLS_REQUIRE_CERT", rc);
    if ((rc = ldap_set_option(NULL, LDAP_OPT_X_TLS_NEWCTX, &client)) !=
        LDAP_OPT_SUCCESS)
        fail("LDAP_OPT_X_TLS_NEWCTX (loading the CA, certificate and key)", rc);
    printf("ready %s\n", LDAP_VENDOR_NAME);
    fflush(stdout);

    while (fgets(line, sizeof line, stdin) != NULL) {
        char cmd[32];
        unsigned long long n = 0, k = 0, done = 0;
        int fields = sscanf(line, "%31s %llu %llu", cmd, &n, &k);
        if (fields < 1)
            continue;
        if (strcmp(cmd, "quit") == 0)
            break;
        if (strcmp(cmd, "connect") == 0) {
            long long t0 = cpu_us();
            if (kept == NULL)
                kept = open_bound();
            printf("ok 1 %lld\n", cpu_us() - t0);
            fflush(stdout);
            continue;
        }
        int is_hs = strcmp(cmd, "handshake") == 0 && fields == 2;
        int is_seq = strcmp(cmd, "seq") == 0 && fields == 2;
        int is_inf = strcmp(cmd, "inflight") == 0 && fields == 3;
        if (!is_hs && !is_seq && !is_inf) {
            printf("error unknown command: %s", line);
            fflush(stdout);
            return 2;
        }
        if ((is_seq || is_inf) && kept == NULL)
            kept = open_bound();
        long long t0 = cpu_us();
        if (is_hs)
            done = cmd_handshake(n);
        else
            done = cmd_inflight(n, is_seq ? 1 : k);
        long long t1 = cpu_us();
        printf("ok %llu %lld\n", done, t1 - t0);
        fflush(stdout);
    }
    if (kept != NULL)
        ldap_unbind_ext(kept, NULL, NULL);
    return 0;
}
