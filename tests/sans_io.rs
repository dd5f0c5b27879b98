//! The BER codec, the message model and the connection state machine do no
//! IO: they import no runtime, no TLS, no sockets, no files.

use std::path::Path;

const CORE: &[&str] = &["src/ber", "src/proto", "src/conn"];
const FORBIDDEN: &[&str] = &[
    "tokio",
    "tokio_rustls",
    "rustls",
    "std::net::TcpStream",
    "std::net::TcpListener",
    "std::net::UdpSocket",
    "std::net::ToSocketAddrs",
    "std::io",
    "std::fs",
    "std::process",
    "std::thread",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn core_modules_import_no_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in CORE {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() >= 10,
        "found only {} files under {CORE:?}",
        files.len()
    );
    let mut offenders = Vec::new();
    for file in &files {
        if file.file_name().is_some_and(|n| n == "tests.rs")
            || file.components().any(|c| c.as_os_str() == "tests")
        {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        // Unit tests (after `#[cfg(test)]`) may do what they like.
        let code_part = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code_part.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for bad in FORBIDDEN {
                let used = code.contains(&format!("use {bad}"))
                    || code.contains(&format!("{bad}::"))
                    || code.contains(&format!(" {bad}::"));
                if used {
                    offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "IO in the sans-IO core:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_check_catches_an_import() {
    // The pattern the check relies on matches what an import looks like.
    let line = "use tokio::net::TcpStream;";
    assert!(FORBIDDEN
        .iter()
        .any(|bad| line.contains(&format!("use {bad}"))));
}
