//! Writing a project directory atomically: into a temporary directory beside it, renamed into
//! place. An existing directory is replaced only when it is empty or (with `force`) a project
//! qrnn-hw wrote; leftovers of interrupted runs into the same place are removed first.

use crate::{File, ProjectError};
use std::path::{Path, PathBuf};

/// What [`write`] did besides writing the project.
#[derive(Debug, Default)]
pub struct Written {
    /// Directories of interrupted runs it removed.
    pub removed: Vec<PathBuf>,
    /// Things it could not tidy up (the project itself is complete).
    pub warnings: Vec<String>,
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> ProjectError {
    move |source| ProjectError::Io { what, source }
}

/// What stands at the output path before a project is written there.
#[derive(Debug, PartialEq)]
enum Existing {
    /// Nothing: the project is renamed into place.
    Nothing,
    /// An empty directory.
    Empty,
    /// A directory holding a `qrnn.json` written by qrnn-hw.
    Project,
    /// Anything else, with the reason it may not be replaced.
    Other(String),
}

/// Classify the output path without following a symbolic link at it.
fn existing(out: &Path) -> Existing {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Existing::Nothing,
        Err(e) => return Existing::Other(format!("it cannot be examined ({e})")),
    };
    let ft = meta.file_type();
    if ft.is_symlink() {
        return Existing::Other(
            "it is a symbolic link; qrnn-hw replaces neither links nor their targets".into(),
        );
    }
    if ft.is_file() {
        return Existing::Other("it is a file, not a project directory".into());
    }
    if !ft.is_dir() {
        return Existing::Other("it is a device, socket or pipe, not a project directory".into());
    }
    match out.read_dir() {
        Ok(mut d) => {
            if d.next().is_none() {
                return Existing::Empty;
            }
        }
        Err(e) => return Existing::Other(format!("it cannot be read ({e})")),
    }
    match qrnn_rtl::manifest::Manifest::read(out) {
        Ok(m) if m.generator.starts_with("qrnn-hw") => Existing::Project,
        Ok(m) => Existing::Other(format!(
            "its qrnn.json was written by {:?}, not qrnn-hw",
            m.generator
        )),
        Err(why) => Existing::Other(format!(
            "it is a directory that is not a qrnn-hw project (qrnn.json: {why})"
        )),
    }
}

/// Whether a process with this id is running (Linux `/proc`; elsewhere: assume it is, so that
/// nothing another run may still be writing is removed).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// Remove what interrupted runs into the same output path left beside it: the directories
/// `.NAME.tmp-PID` (a project being written) and `.NAME.old-PID` (a replaced project being
/// removed) of processes that are no longer running. Returns what was removed.
fn clean_leftovers(parent: &Path, name: &str) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = parent.read_dir() else {
        return removed;
    };
    let me = std::process::id();
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file.strip_prefix(&format!(".{name}.")) else {
            continue;
        };
        let pid = rest
            .strip_prefix("tmp-")
            .or_else(|| rest.strip_prefix("old-"))
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && pid != me && !process_alive(pid) && std::fs::remove_dir_all(e.path()).is_ok() {
            removed.push(e.path());
        }
    }
    removed
}

/// Write `files` into a fresh temporary directory beside `out`, then rename it into place.
///
/// `out` may be absent or an empty directory; with `force`, also a qrnn-hw project (a directory
/// holding a `qrnn.json` written by qrnn-hw), which is replaced and then removed. Anything else —
/// a file, a symbolic link, a device, another directory — is refused and left as it was.
/// Temporary directories of interrupted runs into the same place are removed first.
pub fn write(out: &Path, files: &[File], force: bool) -> Result<Written, ProjectError> {
    let Some(name) = out.file_name().map(|f| f.to_string_lossy().into_owned()) else {
        return Err(ProjectError::Output {
            path: out.to_path_buf(),
        });
    };
    match existing(out) {
        Existing::Nothing | Existing::Empty => {}
        Existing::Project if force => {}
        Existing::Project => {
            return Err(ProjectError::Exists {
                path: out.to_path_buf(),
                why: " already holds a qrnn-hw project".into(),
                help: "choose another -o directory, or pass --force to replace it".into(),
            })
        }
        Existing::Other(why) => {
            return Err(ProjectError::Exists {
                path: out.to_path_buf(),
                why: format!(" already exists and cannot be replaced: {why}"),
                help: "choose another -o directory: --force replaces only an empty directory or \
                       a project that qrnn-hw generated"
                    .into(),
            })
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(format!("creating {}", parent.display())))?;
    let mut written = Written {
        removed: clean_leftovers(&parent, &name),
        warnings: Vec::new(),
    };
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let res = (|| -> Result<(), ProjectError> {
        for (p, c) in files {
            let path = tmp.join(p);
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d).map_err(io(format!("creating {}", d.display())))?;
            }
            std::fs::write(&path, c).map_err(io(format!("writing {}", path.display())))?;
        }
        if existing(out) == Existing::Nothing {
            return std::fs::rename(&tmp, out)
                .map_err(io(format!("renaming into {}", out.display())));
        }
        // An empty directory or a project (checked above): moved aside, replaced, removed.
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(out, &old)
            .map_err(io(format!("moving the old {} aside", out.display())))?;
        if let Err(e) = std::fs::rename(&tmp, out) {
            let _ = std::fs::rename(&old, out);
            return Err(io(format!("renaming into {}", out.display()))(e));
        }
        if let Err(e) = std::fs::remove_dir_all(&old) {
            written.warnings.push(format!(
                "the replaced project could not be removed: {} ({e}); the next gen into {} removes it",
                old.display(),
                out.display()
            ));
        }
        Ok(())
    })();
    if res.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    res.map(|()| written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<File> {
        vec![
            ("qrnn.json".into(), "{\"generator\": \"x\"}".into()),
            ("rtl/a.v".into(), "module a; endmodule\n".into()),
        ]
    }

    #[test]
    fn refuses_what_it_may_not_replace_and_leaves_it() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("file");
        std::fs::write(&f, "mine").unwrap();
        for force in [false, true] {
            assert!(matches!(
                write(&f, &files(), force),
                Err(ProjectError::Exists { .. })
            ));
        }
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "mine");
        let other = t.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("keep"), "x").unwrap();
        assert!(matches!(
            write(&other, &files(), true),
            Err(ProjectError::Exists { .. })
        ));
        assert!(other.join("keep").exists());
        assert!(matches!(
            write(Path::new("/"), &files(), true),
            Err(ProjectError::Output { .. })
        ));
    }

    #[test]
    fn writes_into_nothing_or_an_empty_directory_and_cleans_leftovers() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("p");
        // a leftover of a run whose process is gone (pid 0 is never a user process)
        let stale = t.path().join(".p.tmp-0");
        std::fs::create_dir(&stale).unwrap();
        let w = write(&out, &files(), false).unwrap();
        assert_eq!(w.removed, std::slice::from_ref(&stale));
        assert!(!stale.exists());
        assert!(out.join("rtl/a.v").is_file());
        let empty = t.path().join("e");
        std::fs::create_dir(&empty).unwrap();
        write(&empty, &files(), false).unwrap();
        assert!(empty.join("qrnn.json").is_file());
        // nothing but the two projects is left beside them
        let mut names: Vec<String> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["e", "p"]);
    }
}
