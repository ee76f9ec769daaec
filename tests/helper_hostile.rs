//! virtnetd against hostile local callers: a stranger's huge definitions are refused
//! before they are read, a prompt nobody answers freezes nothing, raw dnsmasq options
//! that run as root need their own right, and names that would not show or would break
//! dnsmasq's files are refused or made safe.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

#[path = "../benches/common/shapes.rs"]
mod shapes;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::sandbox::Sandbox;
use virtnet::model::limits::MAX_DOCUMENT_BYTES;

const NOBODY: u32 = 65534;
/// Debian's `daemon` user: another uid the bus knows.
const DAEMON: u32 = 1;

fn data(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/auth").join(file).to_str().unwrap().to_owned()
}

/// A command run as another user (by uid), through setpriv.
fn as_user(uid: u32) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([&format!("--reuid={uid}"), &format!("--regid={uid}"), "--clear-groups"]);
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A definition of 30,000 namespace bindings on `<network>` (refused by the attribute limit
/// once read, but never read for a stranger).
fn bindings(bytes: usize) -> String {
    let mut xml = String::from("<network");
    let mut i = 0;
    while xml.len() + 64 < bytes {
        xml.push_str(&format!(" xmlns:p{i}='urn:x:{i}'"));
        i += 1;
    }
    xml + "><name>n</name></network>"
}

/// Four strangers at once send 1 MiB definitions of each pathological shape: each is
/// refused in well under 100 ms, and reading goes on answering meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_are_refused_before_their_definitions_are_read() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let shapes: Vec<(&str, String)> = vec![
        ("100k attributes", shapes::SHAPES[0].1(MAX_DOCUMENT_BYTES)),
        ("port groups", shapes::SHAPES.iter().find(|(n, _)| *n == "port groups").unwrap().1(MAX_DOCUMENT_BYTES)),
        ("DHCP ranges", shapes::SHAPES.iter().find(|(n, _)| *n == "DHCP ranges").unwrap().1(MAX_DOCUMENT_BYTES)),
        ("namespace bindings", bindings(MAX_DOCUMENT_BYTES)),
    ];

    // Reading answers throughout (a task asks all the time and keeps the slowest answer).
    let reading = {
        let manager = manager.clone();
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            let until = Instant::now() + Duration::from_secs(600);
            while Instant::now() < until {
                let asked = Instant::now();
                manager.list_networks(0).await.unwrap();
                slowest = slowest.max(asked.elapsed());
                tokio::time::sleep(Duration::from_millis(5)).await;
                if STOP.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
            }
            slowest
        })
    };

    for (shape, xml) in &shapes {
        assert!(xml.len() <= MAX_DOCUMENT_BYTES && xml.len() > MAX_DOCUMENT_BYTES - 1024, "{shape}");
        let file = sandbox.path(&format!("{}.xml", shape.replace(' ', "-")));
        std::fs::write(&file, xml).unwrap();
        let callers: Vec<Child> = (0..4)
            .map(|_| {
                as_user(NOBODY)
                    .args(["/usr/bin/python3", &data("define_as.py"), sandbox.address(), file.to_str().unwrap()])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for caller in callers {
            let out = caller.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let (ms, outcome) =
                text.trim().split_once(' ').unwrap_or_else(|| panic!("{shape}: {text}{}", stderr(&out)));
            let ms: f64 = ms.parse().unwrap();
            assert_eq!(outcome, "org.freedesktop.DBus.Error.AccessDenied", "{shape}");
            assert!(ms < 100.0, "{shape}: refused after {ms} ms");
            println!("{shape}: refused in {ms} ms");
        }
    }
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
    let slowest = reading.await.unwrap();
    assert!(slowest < Duration::from_secs(1), "ListNetworks took {slowest:?} meanwhile");
    println!("slowest ListNetworks meanwhile: {slowest:?}");
    // Nothing was defined.
    assert_eq!(manager.list_networks(0).await.unwrap().len(), 1, "only the default network");
}

static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A polkit that asks the user `daemon` to authenticate (as an administrator).
fn polkit_asking_daemon(dir: &Path) {
    std::fs::create_dir_all(dir.join("polkit-rules")).unwrap();
    std::fs::write(
        dir.join("polkit-rules/50-virtnet-test.rules"),
        "polkit.addRule(function(action, subject) {\n  if (action.id.indexOf(\"io.github.virtnet.\") == 0 && subject.user == \"daemon\") {\n    return polkit.Result.AUTH_ADMIN;\n  }\n});\n",
    )
    .unwrap();
}

/// A child process whose output lines arrive on a channel as they are printed.
struct Watched {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watched {
    fn new(mut child: Child) -> Watched {
        use std::io::BufRead;
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Watched { child, lines, seen: Vec::new() }
    }

    /// The first line starting with `what`, waiting up to `within` for it.
    fn wait_for(&mut self, what: &str, within: Duration) -> String {
        let until = Instant::now() + within;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(what) {
                        return line;
                    }
                }
                Err(_) => panic!("no line starting with {what:?} within {within:?}; printed: {:?}", self.seen),
            }
        }
    }
}

/// A user leaves a polkit prompt open: nobody else waits for it. Without the interactive
/// flag, a call that would need the prompt is refused at once, and the agent is not asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_prompt_freezes_nothing() {
    let sandbox = Sandbox::start_with(true, polkit_asking_daemon);
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let path = manager.define_xml(&common::sandbox::isolated("lab", 64)).await.unwrap().to_string();
    let script = data("agent_then_autostart.py");
    let run = |mode: &str| {
        Watched::new(
            as_user(DAEMON)
                .args(["/usr/bin/python3", &script, sandbox.address(), &path, mode, "60"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };

    // Without the flag: refused at once, and polkit never turns to the agent.
    let mut plain = run("plain");
    plain.wait_for("agent registered", Duration::from_secs(10));
    let reply = plain.wait_for("reply", Duration::from_secs(5));
    assert!(reply.contains("org.freedesktop.DBus.Error.AccessDenied"), "{reply}");
    let _ = plain.child.wait();
    let rest: Vec<String> = plain.lines.try_iter().collect();
    assert!(!plain.seen.iter().chain(&rest).any(|l| l == "agent asked"), "the agent was asked without the flag");
    let ms: f64 = reply.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(ms < 2000.0, "the refusal took {ms} ms");

    // With the flag: polkit asks the agent, which never answers...
    let mut prompt = run("interactive");
    prompt.wait_for("agent asked", Duration::from_secs(10));
    // ... while root defines a network and a hundred readers are answered.
    let started = Instant::now();
    manager.define_xml(&common::sandbox::isolated("other", 65)).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "DefineXML took {:?}", started.elapsed());
    let started = Instant::now();
    let reads = (0..100).map(|_| manager.list_networks(0));
    for answer in futures_util::future::join_all(reads).await {
        assert_eq!(answer.unwrap().len(), 3);
    }
    assert!(started.elapsed() < Duration::from_secs(5), "100 ListNetworks took {:?}", started.elapsed());
    assert!(common::sandbox::process_alive(prompt.child.id()), "the prompt should still be open");
    assert!(Command::new("kill").arg(prompt.child.id().to_string()).status().unwrap().success());
    let _ = prompt.child.wait();
    assert!(!sandbox.network(&conn, "lab").await.autostart().await.unwrap());
}

/// Raw dnsmasq options that could run a program as root need their own polkit action:
/// a user granted only `manage` is refused, with a sentence naming it and the options.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_dnsmasq_options_need_their_own_right() {
    let sandbox = Sandbox::start_with_manage_for_daemon();
    let definition = |name: &str, option: &str| {
        format!(
            "<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'><name>{name}</name>\
             <ip address='10.66.0.1' prefix='24'/><dnsmasq:options><dnsmasq:option value='{option}'/></dnsmasq:options></network>"
        )
    };
    let define = |xml: String| {
        as_user(DAEMON)
            .args(["dbus-send", &format!("--bus={}", sandbox.address()), "--print-reply"])
            .args(["--dest=io.github.virtnet.Helper1", "/io/github/virtnet/Helper1"])
            .args(["io.github.virtnet.Helper1.Manager.DefineXML", &format!("string:{xml}")])
            .output()
            .unwrap()
    };
    let out = define(definition("script", "dhcp-script=/tmp/x"));
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).trim(),
        "Error org.freedesktop.DBus.Error.AccessDenied: not authorized to define network 'script' with the dnsmasq options dhcp-script, which dnsmasq runs as root: io.github.virtnet.manage-dnsmasq-options needs authentication, and the caller did not allow an authentication prompt (ALLOW_INTERACTIVE_AUTHORIZATION)"
    );
    assert!(!sandbox.path("etc/script.xml").exists());
    // A safe option needs nothing more.
    let out = define(definition("safe", "cname=www.lab,web.lab"));
    assert!(out.status.success(), "{}\n{}", stderr(&out), sandbox.log());
    assert!(sandbox.path("etc/safe.xml").exists());
}

/// Names that do not show what they are, or whose files could not exist, are refused
/// at define with a sentence; a name dnsmasq's configuration syntax would cut (`lab #2`)
/// runs one dnsmasq through safe file names, and leaves none behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_checked_and_dnsmasq_files_stay_whole() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let refused = |name: &str| {
        let xml = format!("<network><name>{}</name><ip address='10.67.0.1' prefix='24'/></network>", escape(name));
        let manager = manager.clone();
        async move { manager.define_xml(&xml).await.unwrap_err().to_string() }
    };
    let message = refused("default\u{200B}").await;
    assert!(message.contains("contains the invisible character U+200B, which does not show"), "{message}");
    let message = refused("lab\u{202E}2").await;
    assert!(message.contains("U+202E"), "{message}");
    let message = refused("a\u{2028}b").await;
    assert!(message.contains("U+2028"), "{message}");
    let message = refused(&"\"".repeat(100)).await;
    assert!(message.contains("escaped for its file names, the name takes 600 bytes; at most 200 fit"), "{message}");

    let xml = "<network><name>lab #2</name><ip address='10.68.0.1' prefix='24'>\
               <dhcp><range start='10.68.0.2' end='10.68.0.254'/></dhcp></ip></network>";
    manager.define_xml(xml).await.unwrap();
    let lab = sandbox.network(&conn, "lab #2").await;
    lab.start().await.unwrap_or_else(|e| panic!("{e}\n{}", sandbox.log()));
    // One dnsmasq: its main process (and the helper it forks for the lease script).
    let pids = sandbox.dnsmasq_processes();
    let parent = |pid: &u32| -> u32 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        stat.rsplit_once(')').unwrap().1.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let cmdline =
        |pid: &u32| String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/cmdline")).unwrap()).into_owned();
    let instances: Vec<u32> =
        pids.iter().filter(|p| !pids.contains(&parent(p)) && cmdline(p).contains("lab%20%232.conf")).copied().collect();
    assert_eq!(instances.len(), 1, "exactly one dnsmasq runs for the network: {pids:?}");
    assert!(sandbox.path("lib/dnsmasq/lab%20%232.conf").exists());
    let pid = std::fs::read_to_string(sandbox.path("run/lab%20%232.pid")).unwrap();
    assert_eq!(pid.trim().parse::<u32>().unwrap(), instances[0], "the pid file names that dnsmasq");
    lab.destroy().await.unwrap();
    let left: Vec<u32> =
        sandbox.dnsmasq_processes().into_iter().filter(|p| cmdline(p).contains("lab%20%232")).collect();
    assert!(left.is_empty(), "dnsmasq left running: {left:?}");
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;")
}

/// A stranger floods the calls that dump the host's state: past the per-caller limit
/// they are refused with LimitsExceeded, and a start by root meanwhile is not held up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_host_questions_is_limited_and_delays_no_start() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let lab = "<network><name>lab</name><forward mode='nat'/><bridge name='vnlab'/>
      <ip address='10.69.0.1' prefix='24'><dhcp><range start='10.69.0.2' end='10.69.0.9'/></dhcp></ip></network>";
    manager.define_xml(lab).await.unwrap();
    let network = sandbox.network(&conn, "lab").await;

    // 200 questions at once, from 200 dbus-send processes of uid 1.
    let flood = format!(
        "for i in $(seq 200); do dbus-send --bus='{}' --print-reply --dest=io.github.virtnet.Helper1 \
           /io/github/virtnet/Helper1 io.github.virtnet.Helper1.Manager.$([ $((i % 2)) = 0 ] && echo ListHostInterfaces || echo 'SuggestSubnet string:ipv4') 2>&1 & done; wait",
        sandbox.address()
    );
    let flooding = as_user(DAEMON).args(["sh", "-c", &flood]).stdout(Stdio::piped()).spawn().unwrap();
    // In the middle of it (the 200 processes take a while to start).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    network.start().await.unwrap_or_else(|e| panic!("{e}\n{}", sandbox.log()));
    let start_took = asked.elapsed();
    let out = flooding.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let refused = text.matches("org.freedesktop.DBus.Error.LimitsExceeded").count();
    let answered = text.matches("method return").count();
    eprintln!("figure: {answered} answered, {refused} refused; Start took {start_took:?} meanwhile");
    assert!(answered <= 20 && answered > 0, "{answered} answered (at most 20 per 10 s)");
    assert_eq!(answered + refused, 200, "every question gets an answer or a refusal:\n{text}");
    assert!(text.contains("try again in a few seconds"));
    // A stall check: the start itself takes a fraction of a second.
    assert!(start_took < Duration::from_secs(5), "Start took {start_took:?} during the flood");
}
