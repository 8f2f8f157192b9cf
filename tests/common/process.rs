//! Processes the tests start: the examples of this package (built once per test binary) and
//! the Node.js tools under `tests/` (installed from their lock files).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Builds every example of this package once, with the cargo and profile running this test;
/// returns the directory holding their binaries (`target/<profile>/examples`).
pub fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // This test binary is target/<profile>/deps/<name>-<hash>.
        let exe = std::env::current_exe().expect("current_exe");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>")
            .to_path_buf();
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev".to_owned(),
            Some(other) => other.to_owned(),
        };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
        let status = Command::new(cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "build",
                "--quiet",
                "--workspace",
                "--all-features",
                "--examples",
            ])
            .args(["--profile", &profile])
            .stdin(Stdio::null())
            .status()
            .expect("run cargo build --examples");
        assert!(status.success(), "cargo build --examples failed: {status}");
        profile_dir.join("examples")
    })
}

/// The command running example `name` with `env` in directory `cwd`: `BIND_ADDR` is
/// `127.0.0.1:0` unless `env` says otherwise, and every `AXIOMS_*`, `DATABASE_URL`,
/// `BIND_ADDR`, `PROVIDER` and `RUST_LOG` of the test's own environment is removed.
pub fn example(name: &str, env: &[(&str, String)], cwd: &Path) -> Command {
    let mut command = Command::new(examples_dir().join(name));
    for (key, _) in std::env::vars_os() {
        let strip = key.to_str().is_some_and(|k| {
            k.starts_with("AXIOMS_")
                || matches!(k, "DATABASE_URL" | "BIND_ADDR" | "PROVIDER" | "RUST_LOG")
        });
        if strip {
            command.env_remove(key);
        }
    }
    command
        .env("BIND_ADDR", "127.0.0.1:0")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(cwd);
    command
}

/// Runs an example that must fail at startup; returns its output.
pub fn start_fails(name: &str, env: &[(&str, String)], cwd: &Path) -> String {
    let out = example(name, env, cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run example");
    assert!(!out.status.success(), "{name} should have refused to start");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A child process that prints `listening on http://ADDR`; killed on drop.
pub struct Process {
    name: String,
    child: Child,
    /// The URL it printed.
    pub url: String,
    output: Arc<Mutex<String>>,
}

impl Process {
    /// Spawns `command` and waits (at most 60 s) for its `listening on` line.
    pub fn spawn(name: &str, mut command: Command) -> Self {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let out = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                {
                    let mut out = out.lock().unwrap();
                    out.push_str(&line);
                    out.push('\n');
                }
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let mut stderr = child.stderr.take().expect("stderr");
        let err = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                err.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(buf.get(..n).unwrap_or_default()));
            }
        });
        let mut process = Self {
            name: name.to_owned(),
            child,
            url: String::new(),
            output,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => process.url = url,
            Err(_) => {
                let status = process.child.try_wait().ok().flatten();
                panic!(
                    "{name} did not print `listening on` (exit: {status:?}); output:\n{}",
                    process.output()
                );
            }
        }
        assert!(
            process.url.starts_with("http://127.0.0.1:"),
            "{name} listens on {}",
            process.url
        );
        process
    }

    /// Starts example `name` (see [`example`]).
    pub fn example(name: &str, env: &[(&str, String)], cwd: &Path) -> Self {
        Self::spawn(name, example(name, env, cwd))
    }

    /// Everything it printed so far, stdout and stderr.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Whether the process prints `needle` within `within` (its output is read by threads,
    /// so a line it just wrote may take a moment to arrive).
    pub fn prints(&self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            if self.output().contains(needle) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal (`TERM`, `USR2`, …) with `kill`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {} failed", self.name);
    }

    /// Sends SIGTERM and waits for the exit (at most 20 s).
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit 20 s after SIGTERM; output:\n{}",
                self.name,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the process (SIGKILL: no goodbye) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

/// `tests/<dir>` with its npm packages installed from the committed lock file (`npm ci`
/// once, if `packages` are missing) — or `None`, said loudly, on a machine without Node.js.
///
/// Without `node`, a test that needs it prints why it did not run and passes, so that a
/// contributor without Node.js can run the rest; with `CI` set it fails instead: CI always
/// runs the interop tests.
pub fn node_dir(dir: &str, packages: &[&str], test: &str) -> Option<PathBuf> {
    if !runs("node", test, "Node.js 20+ with npm") {
        return None;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let installed = packages.iter().all(|package| {
        dir.join("node_modules")
            .join(package)
            .join("package.json")
            .is_file()
    });
    if !installed {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("`npm ci` in {}: {e}", dir.display()));
        assert!(
            status.success(),
            "npm ci in {} failed: {status}",
            dir.display()
        );
    }
    Some(dir)
}

/// The Python of `tests/<dir>/.venv`, with the packages of `tests/<dir>/requirements.txt`
/// installed once (every version pinned) — or `None`, said loudly, on a machine without
/// Python 3; with `CI` set that fails instead, as [`node_dir`] does.
pub fn python_venv(dir: &str, test: &str) -> Option<PathBuf> {
    if !runs("python3", test, "Python 3.9+") {
        return None;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let venv = dir.join(".venv");
    let python = venv.join("bin").join("python");
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    // `.ci/run` installs it; a contributor's first run does it here, and again when the
    // requirements change (the marker holds the requirements it installed).
    let requirements = std::fs::read_to_string(dir.join("requirements.txt")).unwrap();
    let marker = venv.join("installed");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(&*requirements) {
        let run = |command: &mut Command| {
            let status = command
                .stdin(Stdio::null())
                .status()
                .unwrap_or_else(|e| panic!("{command:?}: {e}"));
            assert!(status.success(), "{command:?} failed: {status}");
        };
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(dir.join("requirements.txt")));
        std::fs::write(&marker, &requirements).unwrap();
    }
    Some(python)
}

/// Whether `program --version` runs. If not, `test` says loudly that it did not run and
/// passes — or fails with `CI` set: CI always runs the interop tests.
fn runs(program: &str, test: &str, what: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        let message = format!(
            "{test}: NOT RUN — {what} is needed (`{program}` is not on PATH); the interop tests \
             against real third-party software did not run"
        );
        assert!(std::env::var_os("CI").is_none(), "{message} (CI is set)");
        eprintln!("\n{}\n{message}\n{}\n", "!".repeat(80), "!".repeat(80));
    }
    found
}
