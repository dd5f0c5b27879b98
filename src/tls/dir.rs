//! The directory behind [`CertStore::from_dir`](super::CertStore::from_dir):
//! `NAME.crt` / `NAME.key` pairs, looked at again before each connect and
//! re-read when a file changed, keeping the certificate loaded before when
//! the new files do not load.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::cert::ClientCert;
use super::stamp::Stamp;
use crate::error::Error;
use crate::sync::lock;

/// The stamps of one pair's files, `NAME.crt` then `NAME.key`, as last
/// looked at (`None`: missing).
type PairStamps = (Option<Stamp>, Option<Stamp>);

/// The certificates of the directory, each under its `NAME`, in `NAME`
/// order.
pub(crate) type Named = Arc<Vec<(String, ClientCert)>>;

/// A directory of client certificates, shared by the clones of the store
/// that reads it.
pub(crate) struct CertDir {
    path: PathBuf,
    state: Mutex<DirState>,
}

/// What the directory held when it was last looked at.
#[derive(Default)]
struct DirState {
    pairs: BTreeMap<String, Pair>,
    /// Why the directory itself could not be listed, the last time.
    unreadable: Option<String>,
    /// Made from `pairs` after each change, for choosers.
    certs: Named,
    problems: Arc<Vec<String>>,
}

/// One `NAME`.
struct Pair {
    stamps: PairStamps,
    /// The certificate last loaded from the pair. `None` and no problem: the
    /// name is not an identity (a lone `NAME.crt`, a CA certificate say).
    cert: Option<ClientCert>,
    /// Why the files, as they are now, do not load.
    problem: Option<String>,
}

impl CertDir {
    /// Reads the directory; errors when it cannot be listed, when a pair
    /// does not load, or when it holds no pair.
    pub(crate) fn load(path: &Path) -> Result<Self, Error> {
        let dir = Self {
            path: path.to_owned(),
            state: Mutex::default(),
        };
        dir.refresh();
        let (certs, problems) = dir.snapshot();
        if !problems.is_empty() {
            return Err(Error::Config(problems.join("; ")));
        }
        if certs.is_empty() {
            return Err(Error::Config(format!(
                "found no client certificate in {}: each is a NAME.crt (the chain, end-entity first) with its NAME.key",
                path.display()
            )));
        }
        Ok(dir)
    }

    /// The directory's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The certificates now, and why any file did not load.
    pub(crate) fn snapshot(&self) -> (Named, Arc<Vec<String>>) {
        let state = lock(&self.state);
        (Arc::clone(&state.certs), Arc::clone(&state.problems))
    }

    /// Looks at the directory and re-reads the pairs whose files changed
    /// (length, modification time or, on Unix, inode) since the last look.
    /// Returns whether anything changed. A pair whose new files do not load
    /// keeps its certificate and gets a problem (and a warning in the log);
    /// a pair whose both files are gone is dropped.
    pub(crate) fn refresh(&self) -> bool {
        let listed = list(&self.path);
        let mut state = lock(&self.state);
        let changed = match listed {
            Err(e) => {
                let problem = format!(
                    "cannot read the certificate directory {}: {e}; the certificates loaded before are kept",
                    self.path.display()
                );
                let new = state.unreadable.as_ref() != Some(&problem);
                if new {
                    tracing::warn!(directory = %self.path.display(), "{problem}");
                    state.unreadable = Some(problem);
                }
                new
            }
            Ok(names) => {
                let mut changed = state.unreadable.take().is_some();
                let before = state.pairs.len();
                state.pairs.retain(|name, _| names.contains_key(name));
                changed |= state.pairs.len() != before;
                for (name, stamps) in names {
                    if state.pairs.get(&name).is_some_and(|p| p.stamps == stamps) {
                        continue;
                    }
                    changed = true;
                    let old = state.pairs.remove(&name);
                    let pair = self.load_pair(&name, stamps, old);
                    state.pairs.insert(name, pair);
                }
                changed
            }
        };
        if changed {
            state.certs = Arc::new(
                state
                    .pairs
                    .iter()
                    .filter_map(|(name, p)| Some((name.clone(), p.cert.clone()?)))
                    .collect(),
            );
            state.problems = Arc::new(
                state
                    .unreadable
                    .iter()
                    .chain(state.pairs.values().filter_map(|p| p.problem.as_ref()))
                    .cloned()
                    .collect(),
            );
        }
        changed
    }

    /// Loads `NAME.crt` and `NAME.key`, which now have `stamps`.
    fn load_pair(&self, name: &str, stamps: PairStamps, old: Option<Pair>) -> Pair {
        let crt = self.path.join(format!("{name}.crt"));
        let key = self.path.join(format!("{name}.key"));
        let known = old
            .as_ref()
            .is_some_and(|p| p.cert.is_some() || p.problem.is_some());
        let old_cert = old.and_then(|p| p.cert);
        let result = match stamps {
            (Some(_), Some(_)) => ClientCert::from_pem_files(&crt, &key).map_err(|e| match e {
                Error::Config(message) => message,
                other => other.to_string(),
            }),
            (Some(_), None) if known => Err(format!("{} is missing", key.display())),
            (None, Some(_)) if known => Err(format!("{} is missing", crt.display())),
            _ => {
                return Pair {
                    stamps,
                    cert: None,
                    problem: None,
                }
            }
        };
        match result {
            Ok(cert) => {
                tracing::info!(
                    directory = %self.path.display(),
                    name,
                    subject = cert.subject(),
                    "client certificate loaded"
                );
                Pair {
                    stamps,
                    cert: Some(cert),
                    problem: None,
                }
            }
            Err(why) => {
                let problem = if old_cert.is_some() {
                    format!("{name}: {why}; the certificate loaded before is kept")
                } else {
                    format!("{name}: {why}")
                };
                tracing::warn!(directory = %self.path.display(), "{problem}");
                Pair {
                    stamps,
                    cert: old_cert,
                    problem: Some(problem),
                }
            }
        }
    }
}

/// Every `NAME` with a `NAME.crt` or a `NAME.key` in `dir`, with the stamps
/// of both files.
fn list(dir: &Path) -> std::io::Result<BTreeMap<String, PairStamps>> {
    let mut names = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let file_name = entry?.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let name = file_name
            .strip_suffix(".crt")
            .or_else(|| file_name.strip_suffix(".key"));
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            names.entry(name.to_owned()).or_insert_with(|| {
                (
                    Stamp::of(&dir.join(format!("{name}.crt"))),
                    Stamp::of(&dir.join(format!("{name}.key"))),
                )
            });
        }
    }
    Ok(names)
}

impl fmt::Debug for CertDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (certs, problems) = self.snapshot();
        f.debug_struct("CertDir")
            .field("path", &self.path)
            .field(
                "names",
                &certs.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .field("problems", &problems)
            .finish()
    }
}
