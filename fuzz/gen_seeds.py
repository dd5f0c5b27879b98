#!/usr/bin/env python3
"""Writes the binary seed corpora in fuzz/seeds/ (message, ber, lber_diff,
connection). Run once after changing the golden vectors; commit the output.

    python3 fuzz/gen_seeds.py            # runs the proto unit tests for the vectors
    python3 fuzz/gen_seeds.py DUMP       # or reads a TOKIO_LDAP_GOLDEN_DUMP file

* message: every LDAPMessage golden vector of the unit tests in src/proto
  (dumped through TOKIO_LDAP_GOLDEN_DUMP) plus the server responses below;
* ber, lber_diff: the same, plus the bare Filter vectors (`F:` lines);
* connection: scripted server replies for the requests that
  `tokio_ldap::fuzzing::drive_connection` submits, in its input format:
  repeated `[n] [n bytes]` chunks with n < 0xfa, and client actions, one
  octet each: 0xff timeouts, 0xfe abandon, 0xfd WhoAmI, 0xfc StartTLS,
  0xfb unbind.

Only files named golden-* and gen-* are replaced; others are left alone.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
SEEDS = FUZZ / "seeds"


# ---- a minimal BER writer (definite, minimal lengths, low tag numbers) ----


def tlv(tag, *parts):
    body = b"".join(parts)
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + length + body


def integer(n, tag=0x02):
    size = 1
    while not -(1 << (8 * size - 1)) <= n < (1 << (8 * size - 1)):
        size += 1
    return tlv(tag, n.to_bytes(size, "big", signed=True))


def enum(n):
    return integer(n, 0x0A)


def octets(s, tag=0x04):
    return tlv(tag, s.encode() if isinstance(s, str) else s)


def seq(*parts, tag=0x30):
    return tlv(tag, *parts)


def message(msg_id, op, controls=b""):
    return seq(integer(msg_id), op, controls)


def result(code=0, matched="", diag="", referral=()):
    refs = seq(*(octets(u) for u in referral), tag=0xA3) if referral else b""
    return enum(code) + octets(matched) + octets(diag) + refs


def entry(dn, attrs):
    return seq(
        octets(dn),
        seq(*(seq(octets(a), seq(*(octets(v) for v in vs), tag=0x31)) for a, vs in attrs)),
        tag=0x64,
    )


def control(oid, critical=False, value=None):
    return seq(
        octets(oid),
        tlv(0x01, b"\xff") if critical else b"",
        octets(value) if value is not None else b"",
    )


# Replies to drive_connection's requests: 1 search, 2 delete, 3 search,
# 4 WhoAmI (extended), 5 SASL EXTERNAL bind (queued until 1-4 are done).
ENTRY_1 = message(1, entry("cn=a,dc=example,dc=com", [("cn", ["a"]), ("objectClass", ["person", "top"])]))
REF_1 = message(1, seq(octets("ldap://b.example.com/dc=example,dc=com??sub"), tag=0x73))
DONE_1 = message(1, seq(result(), tag=0x65))
PAGED = control("1.2.840.113556.1.4.319", value=seq(integer(0), octets(b"")))
DONE_1_PAGED = message(1, seq(result(), tag=0x65), seq(PAGED, tag=0xA0))
DEL_2 = message(2, seq(result(32, "dc=example,dc=com", "no such object"), tag=0x6B))
ENTRY_3 = message(3, entry("dc=example,dc=com", [("dc", ["example"])]))
DONE_3 = message(3, seq(result(), tag=0x65))
DONE_3_REFERRAL = message(3, seq(result(10, "", "", ["ldap://c.example.com/dc=example,dc=com"]), tag=0x65))
WHOAMI_4 = message(4, seq(result(), octets("dn:cn=a,dc=example,dc=com", 0x8B), tag=0x78))
INTERMEDIATE_4 = message(4, seq(octets("1.3.6.1.4.1.4203.1.9.1.4", 0x80), octets(b"\x30\x00", 0x81), tag=0x79))
BIND_5 = message(5, seq(result(), tag=0x61))
BIND_5_PROGRESS = message(5, seq(result(14), octets(b"", 0x87), tag=0x61))
NOTICE = message(
    0,
    seq(result(52, "", "server shutting down"), octets("1.3.6.1.4.1.1466.20036", 0x8A), tag=0x78),
)
WRONG_OP_2 = message(2, seq(result(), tag=0x61))
UNKNOWN_ID = message(99, seq(result(), tag=0x65))
STARTTLS_6 = message(6, seq(result(), octets("1.3.6.1.4.1.1466.20037", 0x8A), tag=0x78))
WHOAMI_7 = message(7, seq(result(), octets("dn:cn=a,dc=example,dc=com", 0x8B), tag=0x78))
WHOAMI_6 = message(6, seq(result(), octets("dn:cn=b,dc=example,dc=com", 0x8B), tag=0x78))

TIMEOUT, ABANDON, WHOAMI, STARTTLS, UNBIND = b"\xff", b"\xfe", b"\xfd", b"\xfc", b"\xfb"

RESPONSES = {
    "entry": ENTRY_1,
    "reference": REF_1,
    "done-paged": DONE_1_PAGED,
    "del-noobject": DEL_2,
    "done-referral": DONE_3_REFERRAL,
    "whoami": WHOAMI_4,
    "intermediate": INTERMEDIATE_4,
    "bind-progress": BIND_5_PROGRESS,
    "notice": NOTICE,
}

HAPPY = [ENTRY_1, DONE_1, DEL_2, ENTRY_3, DONE_3, WHOAMI_4, BIND_5]


def chunks(pdus, size=None):
    """drive_connection's input: each chunk is a length octet and that many bytes."""
    data = b"".join(pdus)
    out = b""
    step = size or 0xF0  # 0xfa and above are client actions
    for i in range(0, len(data), step):
        part = data[i : i + step]
        out += bytes([len(part)]) + part
    return out


def per_pdu(pdus):
    return b"".join(chunks([p]) for p in pdus)


CONNECTION = {
    "happy": per_pdu(HAPPY),
    "happy-one-chunk": chunks(HAPPY),
    "happy-3-byte-chunks": chunks(HAPPY, 3),
    "interleaved": per_pdu([ENTRY_3, ENTRY_1, DEL_2, REF_1, INTERMEDIATE_4, DONE_1_PAGED, WHOAMI_4, DONE_3_REFERRAL, BIND_5_PROGRESS, BIND_5]),
    "notice": per_pdu([ENTRY_1, DEL_2, NOTICE]),
    "wrong-op": per_pdu([ENTRY_1, WRONG_OP_2, DONE_1]),
    "unknown-id": per_pdu([UNKNOWN_ID, DONE_1, DEL_2]),
    # The deadlines expire; then late replies arrive.
    "timeout-then-late": per_pdu([ENTRY_1, DEL_2]) + TIMEOUT + per_pdu([DONE_1, DONE_3, WHOAMI_4, BIND_5]),
    # The first search is abandoned after one entry; more of its entries
    # and its result still arrive.
    "abandon-then-late": per_pdu([ENTRY_1]) + ABANDON + per_pdu([ENTRY_1, DONE_1, DEL_2, ENTRY_3, DONE_3, WHOAMI_4, BIND_5]),
    # StartTLS once everything is done, then a WhoAmI inside TLS.
    "starttls": per_pdu(HAPPY) + STARTTLS + per_pdu([STARTTLS_6]) + WHOAMI + per_pdu([WHOAMI_7]),
    # Bytes right after the StartTLS response, before the handshake.
    "starttls-injection": per_pdu(HAPPY) + STARTTLS + chunks([STARTTLS_6, WHOAMI_7]),
    # StartTLS refused while operations are outstanding.
    "starttls-busy": STARTTLS + per_pdu(HAPPY),
    # Unbind while a search streams; its result arrives anyway.
    "unbind-midstream": per_pdu([ENTRY_1]) + UNBIND + per_pdu([DONE_1, DEL_2]),
    "more-whoami": WHOAMI + per_pdu(HAPPY) + per_pdu([WHOAMI_6]) + WHOAMI + per_pdu([WHOAMI_7]),
    "truncated": per_pdu([ENTRY_1, DONE_1[:-3]]),
    "indefinite-length": per_pdu([b"\x30\x80\x02\x01\x01\x65\x07\x0a\x01\x00\x04\x00\x04\x00\x00\x00"]),
    "too-long": per_pdu([b"\x30\x84\x7f\xff\xff\xff\x02\x01\x01"]),
}


def golden_vectors(dump):
    if dump is None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "golden.hex"
            env = dict(os.environ, TOKIO_LDAP_GOLDEN_DUMP=str(path))
            subprocess.run(["cargo", "test", "-q", "--lib", "proto::"], cwd=FUZZ.parent, env=env, check=True)
            lines = path.read_text().split()
    else:
        lines = Path(dump).read_text().split()
    messages, filters = [], []
    for line in dict.fromkeys(lines):  # unique, in order
        if line.startswith("F:"):
            filters.append(bytes.fromhex(line[2:]))
        else:
            messages.append(bytes.fromhex(line))
    return messages, filters


def write(target, files):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    for old in d.iterdir():
        if old.name.startswith(("golden-", "gen-")):
            old.unlink()
    for name, data in files.items():
        assert len(data) <= 4096, (target, name)
        (d / name).write_bytes(data)
    assert len(list(d.iterdir())) <= 100, target


def main():
    messages, filters = golden_vectors(sys.argv[1] if len(sys.argv) > 1 else None)

    def named(vectors):
        return {"golden-" + hashlib.sha1(v).hexdigest()[:12]: v for v in vectors}

    responses = {"gen-" + k: v for k, v in RESPONSES.items()}
    write("message", {**named(messages), **responses})
    write("ber", {**named(messages + filters), **responses})
    write("lber_diff", {**named(messages + filters), **responses})
    write("connection", {"gen-" + k: v for k, v in CONNECTION.items()})
    for t in ("message", "ber", "lber_diff", "connection"):
        print(t, len(list((SEEDS / t).iterdir())), "seeds")


if __name__ == "__main__":
    main()
