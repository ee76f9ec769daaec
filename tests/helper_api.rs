//! virtnetd over D-Bus, in a sandbox per test (private bus, own network namespace):
//! every method and property, the typed errors, events and PropertiesChanged, libvirt's
//! define/undefine/transient semantics, the bridge as the kernel reports it, restart
//! after kill -9, and the refusal of unprivileged callers.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::sandbox::{Sandbox, isolated};
use futures_util::StreamExt;
use virtnet::dbus::proxy::{ManagerProxy, NetworkProxy};
use virtnet::dbus::{BUS_NAME, ErrorKind, HelperError};
use zbus::OwnedObjectPath;

const WAIT: Duration = Duration::from_secs(10);

fn kind<T: std::fmt::Debug>(result: zbus::Result<T>) -> (ErrorKind, String) {
    let error = HelperError::from(result.expect_err("the call should fail"));
    (error.kind, error.message)
}

async fn network_at(conn: &zbus::Connection, path: OwnedObjectPath) -> NetworkProxy<'static> {
    NetworkProxy::builder(conn).path(path).cache_properties(zbus::proxy::CacheProperties::No).build().await.unwrap()
}

async fn names(manager: &ManagerProxy<'_>, flags: u32) -> Vec<String> {
    let conn = manager.inner().connection();
    let mut names = Vec::new();
    for path in manager.list_networks(flags).await.unwrap() {
        names.push(network_at(conn, path).await.name().await.unwrap());
    }
    names
}

/// Collects `NetworkEvent`s as (name, event).
struct Events {
    stream: virtnet::dbus::proxy::NetworkEventStream,
}

impl Events {
    async fn new(manager: &ManagerProxy<'static>) -> Events {
        Events { stream: manager.receive_network_event().await.unwrap() }
    }

    async fn next(&mut self) -> (String, String) {
        let signal = tokio::time::timeout(WAIT, self.stream.next()).await.expect("no NetworkEvent in time").unwrap();
        let args = signal.args().unwrap();
        (args.name().to_string(), args.event().to_string())
    }
}

/// Collects PropertiesChanged of one object as "Name=value" strings.
async fn property_changes(conn: &zbus::Connection, path: &OwnedObjectPath) -> zbus::fdo::PropertiesChangedStream {
    let props =
        zbus::fdo::PropertiesProxy::builder(conn).destination(BUS_NAME).path(path.clone()).build().await.unwrap();
    props.receive_properties_changed().await.unwrap()
}

async fn next_change(stream: &mut zbus::fdo::PropertiesChangedStream) -> Vec<String> {
    let signal = tokio::time::timeout(WAIT, stream.next()).await.expect("no PropertiesChanged in time").unwrap();
    let args = signal.args().unwrap();
    let mut changes: Vec<String> =
        args.changed_properties().iter().map(|(k, v)| format!("{k}={}", v.to_string().trim_matches('"'))).collect();
    changes.sort();
    changes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_defines_and_autostarts_the_default_network() {
    let mut sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    assert_eq!(names(&manager, 0).await, ["default"]);

    let default = sandbox.network(&conn, "default").await;
    assert!(default.active().await.unwrap(), "{}", sandbox.log());
    assert!(default.persistent().await.unwrap());
    assert!(default.autostart().await.unwrap());
    assert_eq!(default.bridge_name().await.unwrap(), "virbr0");
    assert_eq!(default.forward_mode().await.unwrap(), "nat");
    let xml = default.get_xml_desc(0).await.unwrap();
    assert!(xml.contains("<ip address='192.168.122.1' netmask='255.255.255.0'>"), "{xml}");
    assert!(xml.contains("<range start='192.168.122.2' end='192.168.122.254'/>"), "{xml}");

    let link = sandbox.link("virbr0").expect("virbr0 exists");
    assert_eq!(link["linkinfo"]["info_kind"], "bridge");
    assert!(xml.contains(&format!("<mac address='{}'/>", link["address"].as_str().unwrap())), "{xml}\n{link}");
    assert!(link["address"].as_str().unwrap().starts_with("52:54:00:"));
    assert_eq!(sandbox.addresses("virbr0"), ["192.168.122.1/24"]);
    assert!(sandbox.path("etc/default.xml").exists());
    assert!(sandbox.path("etc/autostart/default.xml").exists());
    assert!(sandbox.path("run/default.xml").exists());

    // Autostart runs once per boot: after a stop and a helper restart it stays stopped...
    default.destroy().await.unwrap();
    sandbox.stop_helper();
    sandbox.restart_helper();
    let conn = sandbox.connect().await;
    let default = sandbox.network(&conn, "default").await;
    assert!(!default.active().await.unwrap(), "autostart ran twice in one boot");
    // ... and an undefined default is not recreated.
    default.undefine().await.unwrap();
    sandbox.stop_helper();
    sandbox.restart_helper();
    let conn = sandbox.connect().await;
    assert!(names(&sandbox.manager(&conn).await, 0).await.is_empty());

    // A new boot (empty run folder) autostarts again.
    let manager = sandbox.manager(&conn).await;
    let lab = network_at(&conn, manager.define_xml(&isolated("lab", 7)).await.unwrap()).await;
    lab.set_autostart(true).await.unwrap();
    sandbox.stop_helper();
    std::fs::remove_file(sandbox.path("run/autostarted")).unwrap();
    sandbox.restart_helper();
    let conn = sandbox.connect().await;
    // Autostart is done by the time the helper is on the bus.
    assert!(sandbox.network(&conn, "lab").await.active().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_with_events_properties_and_the_real_bridge() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let mut events = Events::new(&manager).await;

    let xml = "<network>
      <name>lab</name>
      <bridge name='vnlab0' stp='off' delay='0'/>
      <mac address='52:54:00:aa:bb:01'/>
      <mtu size='1400'/>
      <ip address='10.20.0.1' prefix='24'/>
      <ip family='ipv6' address='fd00:20::1' prefix='64'/>
      <route address='10.99.0.0' prefix='16' gateway='10.20.0.5'/>
    </network>";
    let path = manager.define_xml(xml).await.unwrap();
    assert_eq!(events.next().await, ("lab".into(), "defined".into()));
    assert_eq!(manager.lookup_by_name("lab").await.unwrap(), path);
    let lab = network_at(&conn, path.clone()).await;
    let uuid = lab.uuid().await.unwrap();
    assert_eq!(manager.lookup_by_uuid(&uuid).await.unwrap(), path);
    assert_eq!(manager.lookup_by_uuid(&uuid.replace('-', "")).await.unwrap(), path);
    assert!(path.as_str().ends_with(&uuid.replace('-', "")));
    assert!(!lab.active().await.unwrap());
    assert!(lab.persistent().await.unwrap());
    assert!(!lab.autostart().await.unwrap());
    assert_eq!(lab.forward_mode().await.unwrap(), "none");
    assert_eq!(lab.bridge_name().await.unwrap(), "vnlab0");
    assert!(sandbox.link("vnlab0").is_none(), "define must not create the bridge");

    let mut changes = property_changes(&conn, &path).await;
    lab.start().await.unwrap();
    assert_eq!(events.next().await, ("lab".into(), "started".into()));
    assert_eq!(next_change(&mut changes).await, ["Active=true"]);

    let link = sandbox.link("vnlab0").expect("the bridge exists");
    assert_eq!(link["linkinfo"]["info_kind"], "bridge");
    assert_eq!(link["address"], "52:54:00:aa:bb:01");
    assert_eq!(link["mtu"], 1400);
    assert_eq!(link["linkinfo"]["info_data"]["stp_state"], 0);
    assert!(link["flags"].as_array().unwrap().iter().any(|f| f == "UP"), "{link}");
    let mut addresses = sandbox.addresses("vnlab0");
    addresses.sort();
    assert_eq!(addresses, ["10.20.0.1/24", "fd00:20::1/64"]);
    assert!(sandbox.routes().contains("10.99.0.0/16 via 10.20.0.5 dev vnlab0"), "{}", sandbox.routes());

    assert_eq!(kind(lab.start().await).0, ErrorKind::AlreadyActive);

    lab.set_autostart(true).await.unwrap();
    assert_eq!(next_change(&mut changes).await, ["Autostart=true"]);
    assert!(sandbox.path("etc/autostart/lab.xml").exists());
    lab.set_autostart(false).await.unwrap();
    assert_eq!(next_change(&mut changes).await, ["Autostart=false"]);

    lab.destroy().await.unwrap();
    assert_eq!(events.next().await, ("lab".into(), "stopped".into()));
    assert_eq!(next_change(&mut changes).await, ["Active=false"]);
    assert!(sandbox.link("vnlab0").is_none(), "destroy must delete the bridge");
    assert!(!sandbox.routes().contains("10.99.0.0"));
    assert!(!sandbox.path("run/lab.xml").exists());
    assert_eq!(kind(lab.destroy().await).0, ErrorKind::NotActive);

    // An isolated network with STP on and a forward delay.
    let stp = manager
        .define_xml("<network><name>stp</name><bridge name='vnstp0' stp='on' delay='4'/><ip address='10.21.0.1' prefix='24'/></network>")
        .await
        .unwrap();
    assert_eq!(events.next().await.1, "defined");
    network_at(&conn, stp).await.start().await.unwrap();
    assert_eq!(events.next().await.1, "started");
    let link = sandbox.link("vnstp0").unwrap();
    assert_eq!(link["linkinfo"]["info_data"]["stp_state"], 1);
    assert_eq!(link["linkinfo"]["info_data"]["forward_delay"], 400);

    lab.undefine().await.unwrap();
    assert_eq!(events.next().await, ("lab".into(), "undefined".into()));
    assert_eq!(kind(manager.lookup_by_name("lab").await).0, ErrorKind::NotFound);
    assert!(!sandbox.path("etc/lab.xml").exists());
    assert_eq!(names(&manager, 0).await, ["default", "stp"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redefine_undefine_and_list_flags_follow_libvirt() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let mut events = Events::new(&manager).await;

    let path = manager.define_xml(&isolated("lab", 30)).await.unwrap();
    events.next().await;
    let lab = network_at(&conn, path.clone()).await;
    let uuid = lab.uuid().await.unwrap();
    let first = lab.get_xml_desc(0).await.unwrap();
    let mac = first.split("<mac address='").nth(1).unwrap().split('\'').next().unwrap().to_owned();
    let bridge = lab.bridge_name().await.unwrap();
    assert!(bridge.starts_with("virbr") && bridge != "virbr0", "{bridge}");
    lab.start().await.unwrap();
    events.next().await;

    // The same name without its UUID is another network: refused.
    let (k, message) = kind(manager.define_xml(&isolated("lab", 31)).await);
    assert_eq!(k, ErrorKind::NameInUse);
    assert!(message.contains(&uuid), "{message}");

    // Redefining a running network changes only the next start; MAC and bridge stay.
    let redefined =
        format!("<network><name>lab</name><uuid>{uuid}</uuid><ip address='10.31.0.1' prefix='24'/></network>");
    assert_eq!(manager.define_xml(&redefined).await.unwrap(), path);
    assert_eq!(events.next().await, ("lab".into(), "updated".into()));
    assert!(lab.get_xml_desc(0).await.unwrap().contains("10.30.0.1"));
    let next = lab.get_xml_desc(1).await.unwrap();
    assert!(next.contains("10.31.0.1") && next.contains(&mac) && next.contains(&bridge), "{next}");
    assert_eq!(sandbox.addresses(&bridge), ["10.30.0.1/24"]);

    // Renaming a running network is refused; an inactive one can be renamed.
    let renamed =
        format!("<network><name>lab2</name><uuid>{uuid}</uuid><ip address='10.31.0.1' prefix='24'/></network>");
    assert_eq!(kind(manager.define_xml(&renamed).await).0, ErrorKind::AlreadyActive);

    // Undefining a running network leaves it running as transient.
    let mut changes = property_changes(&conn, &path).await;
    lab.undefine().await.unwrap();
    assert_eq!(events.next().await.1, "undefined");
    assert_eq!(next_change(&mut changes).await, ["Persistent=false"]);
    assert!(lab.active().await.unwrap());
    assert!(!sandbox.path("etc/lab.xml").exists());
    assert_eq!(kind(lab.undefine().await).0, ErrorKind::NotPersistent);
    assert_eq!(kind(lab.set_autostart(true).await).0, ErrorKind::NotPersistent);
    assert_eq!(names(&manager, 8).await, ["lab"]);
    assert_eq!(names(&manager, 4).await, ["default"]);
    assert_eq!(names(&manager, 2 | 8).await, ["lab"]);
    assert_eq!(names(&manager, 16).await, ["default"]);
    assert_eq!(names(&manager, 32).await, ["lab"]);
    assert!(names(&manager, 1).await.is_empty());

    // ... and destroying a transient network removes it.
    lab.destroy().await.unwrap();
    assert_eq!(events.next().await.1, "stopped");
    assert_eq!(kind(manager.lookup_by_name("lab").await).0, ErrorKind::NotFound);
    assert!(sandbox.link(&bridge).is_none());

    // Renaming an inactive network moves its file and autostart link.
    let path = manager.define_xml(&isolated("old", 32)).await.unwrap();
    let old = network_at(&conn, path.clone()).await;
    old.set_autostart(true).await.unwrap();
    let uuid = old.uuid().await.unwrap();
    manager
        .define_xml(&format!(
            "<network><name>new</name><uuid>{uuid}</uuid><ip address='10.32.0.1' prefix='24'/></network>"
        ))
        .await
        .unwrap();
    assert_eq!(old.name().await.unwrap(), "new");
    assert!(old.autostart().await.unwrap());
    assert!(sandbox.path("etc/new.xml").exists() && !sandbox.path("etc/old.xml").exists());
    assert!(sandbox.path("etc/autostart/new.xml").exists() && !sandbox.path("etc/autostart/old.xml").exists());
    assert_eq!(names(&manager, 1).await, ["new"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_networks_and_failed_creates_leave_nothing() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let mut events = Events::new(&manager).await;

    let path = manager
        .create_xml("<network><name>tmp</name><bridge name='vntmp0'/><ip address='10.40.0.1' prefix='24'/></network>")
        .await
        .unwrap();
    assert_eq!(events.next().await, ("tmp".into(), "started".into()));
    let tmp = network_at(&conn, path).await;
    assert!(tmp.active().await.unwrap());
    assert!(!tmp.persistent().await.unwrap());
    assert!(sandbox.link("vntmp0").is_some());
    assert!(sandbox.path("run/tmp.xml").exists());
    assert!(!sandbox.path("etc/tmp.xml").exists());
    assert_eq!(kind(manager.create_xml(&isolated("tmp", 41)).await).0, ErrorKind::AlreadyActive);
    tmp.destroy().await.unwrap();
    assert_eq!(events.next().await.1, "stopped");
    assert_eq!(kind(manager.lookup_by_name("tmp").await).0, ErrorKind::NotFound);

    // A start that fails (the bridge name is an existing interface) leaves nothing.
    let made = sandbox.netns_exec(&["ip", "link", "add", "vnbusy0", "type", "veth", "peer", "name", "vnbusy1"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let (k, message) = kind(
        manager
            .create_xml(
                "<network><name>busy</name><bridge name='vnbusy0'/><ip address='10.42.0.1' prefix='24'/></network>",
            )
            .await,
    );
    assert_eq!(k, ErrorKind::BridgeInUse, "{message}");
    assert!(message.contains("vnbusy0"), "{message}");
    assert_eq!(kind(manager.lookup_by_name("busy").await).0, ErrorKind::NotFound);
    assert!(!sandbox.path("run/busy.xml").exists());
    assert_eq!(sandbox.link("vnbusy0").unwrap()["linkinfo"]["info_kind"], "veth", "the foreign interface is untouched");

    // A start that fails half-way (a route the kernel refuses) is rolled back.
    let path = manager
        .define_xml("<network><name>half</name><bridge name='vnhalf0'/><ip address='10.43.0.1' prefix='24'/><route address='10.44.0.0' prefix='16' gateway='10.43.0.9' metric='1'/><route address='10.44.0.0' prefix='16' gateway='10.43.0.9' metric='1'/></network>")
        .await
        .unwrap();
    let half = network_at(&conn, path).await;
    let (k, message) = kind(half.start().await);
    assert_eq!(k, ErrorKind::Netlink, "{message}");
    assert!(message.contains("10.44.0.0/16"), "{message}");
    assert!(sandbox.link("vnhalf0").is_none(), "the bridge of a failed start must be gone");
    assert!(!half.active().await.unwrap());
    assert!(!sandbox.path("run/half.xml").exists());

    // Defining a running transient network makes it persistent.
    let path = manager.create_xml(&isolated("promote", 47)).await.unwrap();
    let promote = network_at(&conn, path).await;
    let uuid = promote.uuid().await.unwrap();
    manager
        .define_xml(&format!(
            "<network><name>promote</name><uuid>{uuid}</uuid><ip address='10.47.0.1' prefix='24'/></network>"
        ))
        .await
        .unwrap();
    assert!(promote.persistent().await.unwrap() && promote.active().await.unwrap());
    assert!(sandbox.path("etc/promote.xml").exists());

    // create on an inactive persistent network runs it with the given definition.
    let path = manager.define_xml(&isolated("persist", 45)).await.unwrap();
    let persist = network_at(&conn, path.clone()).await;
    let uuid = persist.uuid().await.unwrap();
    let live =
        format!("<network><name>persist</name><uuid>{uuid}</uuid><ip address='10.46.0.1' prefix='24'/></network>");
    assert_eq!(manager.create_xml(&live).await.unwrap(), path);
    assert!(persist.get_xml_desc(0).await.unwrap().contains("10.46.0.1"));
    assert!(persist.get_xml_desc(1).await.unwrap().contains("10.45.0.1"));
    assert!(persist.persistent().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_typed_and_say_what_is_wrong() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;

    let (k, message) = kind(manager.define_xml("<network><name>x</name>").await);
    assert_eq!(k, ErrorKind::InvalidXml);
    assert!(message.starts_with("not well-formed XML at line 1"), "{message}");

    let bad = "<network><name>bad/name</name><ip address='192.168.9.1' prefix='24'><dhcp><range start='10.0.0.5' end='192.168.9.9'/></dhcp></ip></network>";
    let (k, message) = kind(manager.define_xml(bad).await);
    assert_eq!(k, ErrorKind::InvalidDefinition);
    assert_eq!(
        message,
        "the definition has 2 problems:\nname: 'bad/name' contains '/'; names may not contain '/', ',' or control characters\nip[0]/dhcp/range[0]: start 10.0.0.5 is outside 192.168.9.0/24"
    );

    assert_eq!(kind(manager.lookup_by_name("nope").await), (ErrorKind::NotFound, "no network named 'nope'".into()));
    assert_eq!(kind(manager.lookup_by_uuid("zz").await).0, ErrorKind::InvalidArgs);
    assert_eq!(kind(manager.lookup_by_uuid("81ff0d90-c91e-6742-64da-4a736edb9a9b").await).0, ErrorKind::NotFound);
    assert_eq!(kind(manager.list_networks(1 << 10).await).0, ErrorKind::InvalidArgs);

    let (k, message) = kind(manager.define_xml("<network><name>clash</name><bridge name='virbr0'/></network>").await);
    assert_eq!(k, ErrorKind::BridgeInUse);
    assert_eq!(message, "bridge name virbr0 is already used by network 'default'");

    let path = manager
        .define_xml("<network><name>hostbr</name><forward mode='bridge'/><bridge name='br0'/></network>")
        .await
        .unwrap();
    let hostbr = network_at(&conn, path).await;
    assert_eq!(kind(hostbr.start().await).0, ErrorKind::NotSupported);
    assert_eq!(kind(hostbr.get_xml_desc(8).await).0, ErrorKind::InvalidArgs);

    // Nothing of the refused definitions was stored.
    let mut files: Vec<String> = std::fs::read_dir(sandbox.path("etc"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xml"))
        .collect();
    files.sort();
    assert_eq!(files, ["default.xml", "hostbr.xml"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_helper_adopts_what_runs_and_cleans_up_what_died() {
    let mut sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    network_at(&conn, manager.define_xml(&isolated("keep", 50)).await.unwrap()).await.start().await.unwrap();
    network_at(&conn, manager.define_xml(&isolated("dies", 51)).await.unwrap()).await.start().await.unwrap();
    manager
        .create_xml("<network><name>tmp</name><bridge name='vntmp1'/><ip address='10.52.0.1' prefix='24'/></network>")
        .await
        .unwrap();
    let keep_xml = sandbox.network(&conn, "keep").await.get_xml_desc(0).await.unwrap();
    let dies_bridge = sandbox.network(&conn, "dies").await.bridge_name().await.unwrap();
    drop(conn);

    sandbox.kill_helper_hard();
    // While the helper is away, one network's bridge disappears, and another tool
    // creates an interface of the same name: not a bridge, so not virtnet's.
    assert!(sandbox.netns_exec(&["ip", "link", "del", &dies_bridge]).status.success());
    let peer = format!("{dies_bridge}p");
    assert!(
        sandbox
            .netns_exec(&["ip", "link", "add", &dies_bridge, "type", "veth", "peer", "name", &peer])
            .status
            .success()
    );
    sandbox.restart_helper();

    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let keep = sandbox.network(&conn, "keep").await;
    assert!(keep.active().await.unwrap());
    assert_eq!(keep.get_xml_desc(0).await.unwrap(), keep_xml);
    let dies = sandbox.network(&conn, "dies").await;
    assert!(!dies.active().await.unwrap());
    assert!(!sandbox.path("run/dies.xml").exists());
    assert_eq!(
        sandbox.link(&dies_bridge).unwrap()["linkinfo"]["info_kind"],
        "veth",
        "someone else's interface was touched"
    );
    let tmp = sandbox.network(&conn, "tmp").await;
    assert!(tmp.active().await.unwrap());
    assert!(!tmp.persistent().await.unwrap());
    // The default network, already started this boot, was not started twice.
    assert!(sandbox.log().matches("autostart: done").count() == 1, "{}", sandbox.log());

    let keep_bridge = keep.bridge_name().await.unwrap();
    keep.destroy().await.unwrap();
    assert!(sandbox.link(&keep_bridge).is_none());
    tmp.destroy().await.unwrap();
    assert!(sandbox.link("vntmp1").is_none());
    assert_eq!(names(&manager, 0).await, ["default", "dies", "keep"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_on_many_networks_run_concurrently_and_stay_consistent() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let mut paths = Vec::new();
    for i in 0..12u8 {
        paths.push(manager.define_xml(&isolated(&format!("n{i:02}"), 100 + i)).await.unwrap());
    }
    // Start all at once, and each one twice: exactly one start per network wins.
    let mut tasks = Vec::new();
    for path in &paths {
        for _ in 0..2 {
            let conn = conn.clone();
            let path = path.clone();
            tasks.push(tokio::spawn(async move { network_at(&conn, path).await.start().await }));
        }
    }
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        let outcome = match task.await.unwrap() {
            Ok(()) => "started".to_owned(),
            Err(e) => format!("{:?}", HelperError::from(e).kind),
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    assert_eq!(outcomes.get("started"), Some(&12), "{outcomes:?}");
    assert_eq!(outcomes.get("AlreadyActive"), Some(&12), "{outcomes:?}");
    assert_eq!(names(&manager, 2).await.len(), 13);
    let bridges: std::collections::HashSet<String> = {
        let mut set = std::collections::HashSet::new();
        for path in &paths {
            set.insert(network_at(&conn, path.clone()).await.bridge_name().await.unwrap());
        }
        set
    };
    assert_eq!(bridges.len(), 12, "every network got its own bridge");
    for bridge in &bridges {
        assert!(sandbox.link(bridge).is_some(), "{bridge} missing");
    }

    // Two networks on one subnet, started at the same moment: one of them only.
    for round in 0..5u8 {
        let a = manager.define_xml(&isolated(&format!("twin-a{round}"), 230 + round)).await.unwrap();
        let b = manager.define_xml(&isolated(&format!("twin-b{round}"), 230 + round)).await.unwrap();
        let (ra, rb) = tokio::join!(async { network_at(&conn, a.clone()).await.start().await }, async {
            network_at(&conn, b.clone()).await.start().await
        });
        let kinds: Vec<Option<ErrorKind>> =
            [ra, rb].into_iter().map(|r| r.err().map(|e| HelperError::from(e).kind)).collect();
        assert!(kinds.contains(&None) && kinds.contains(&Some(ErrorKind::SubnetInUse)), "round {round}: {kinds:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_api_matches_the_shipped_introspection_xml() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let introspect = |path: String| {
        let conn = conn.clone();
        async move {
            zbus::fdo::IntrospectableProxy::builder(&conn)
                .destination(BUS_NAME)
                .path(path)
                .build()
                .await
                .unwrap()
                .introspect()
                .await
                .unwrap()
        }
    };
    let root = introspect(virtnet::dbus::ROOT_PATH.to_owned()).await;
    let network_path = sandbox.manager(&conn).await.lookup_by_name("default").await.unwrap();
    let network = introspect(network_path.to_string()).await;
    let network_proxy = network_at(&conn, network_path.clone()).await;
    let port_path = network_proxy.create_port(HashMap::new()).await.unwrap();
    let port = introspect(port_path.to_string()).await;
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/dbus/io.github.virtnet.Helper1.xml"))
            .unwrap();

    for (live, interface) in [
        (&root, "io.github.virtnet.Helper1.Manager"),
        (&network, "io.github.virtnet.Helper1.Network"),
        (&port, "io.github.virtnet.Helper1.Port"),
    ] {
        assert_eq!(interface_shape(live, interface), interface_shape(&shipped, interface), "{interface} differs");
    }
    assert!(root.contains("org.freedesktop.DBus.ObjectManager"), "the root is an ObjectManager");
}

/// Methods, signals and properties of one interface in an introspection document, as
/// sorted lines (name, argument names, types and directions, property access).
fn interface_shape(xml: &str, interface: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() },
    )
    .unwrap();
    let iface = doc
        .descendants()
        .find(|n| n.has_tag_name("interface") && n.attribute("name") == Some(interface))
        .unwrap_or_else(|| panic!("{interface} not in:\n{xml}"));
    let mut lines: Vec<String> = iface
        .children()
        .filter(|n| n.is_element())
        .map(|member| {
            let args: Vec<String> = member
                .children()
                .filter(|n| n.has_tag_name("arg") || n.has_tag_name("annotation"))
                .map(|a| {
                    format!(
                        "{}:{}:{}:{}",
                        a.attribute("name").unwrap_or(""),
                        a.attribute("type").unwrap_or(""),
                        a.attribute("direction").unwrap_or(""),
                        a.attribute("value").unwrap_or("")
                    )
                })
                .collect();
            format!(
                "{} {} type={} access={} ({})",
                member.tag_name().name(),
                member.attribute("name").unwrap_or(""),
                member.attribute("type").unwrap_or(""),
                member.attribute("access").unwrap_or(""),
                args.join(", ")
            )
        })
        .collect();
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_network_avoids_a_subnet_and_bridge_already_in_use() {
    let mut sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let default = sandbox.network(&conn, "default").await;
    default.destroy().await.unwrap();
    default.undefine().await.unwrap();
    sandbox.stop_helper();
    // As on a host where 192.168.122.0/24 is the LAN and another tool owns virbr0.
    std::fs::remove_file(sandbox.path("etc/.virtnet-initialised")).unwrap();
    std::fs::remove_file(sandbox.path("run/autostarted")).unwrap();
    for args in [
        &["ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan1"][..],
        &["ip", "addr", "add", "192.168.122.10/24", "dev", "lan0"],
        &["ip", "link", "set", "lan0", "up"],
        &["ip", "link", "add", "virbr0", "type", "bridge"],
    ] {
        let out = sandbox.netns_exec(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    sandbox.restart_helper();

    let conn = sandbox.connect().await;
    let default = sandbox.network(&conn, "default").await;
    assert!(default.active().await.unwrap(), "{}", sandbox.log());
    assert_eq!(default.bridge_name().await.unwrap(), "virbr1");
    assert_eq!(sandbox.addresses("virbr1"), ["192.168.123.1/24"]);
    assert!(default.get_xml_desc(0).await.unwrap().contains("<range start='192.168.123.2' end='192.168.123.254'/>"));
    assert!(
        sandbox.log().contains("192.168.122.0/24 is in use on this host (address 192.168.122.10/24 on lan0)"),
        "{}",
        sandbox.log()
    );
}

/// What the new-network wizard asks: the interfaces to forward to, and free subnets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_interfaces_and_subnet_suggestions_leave_out_what_is_taken() {
    let sandbox = Sandbox::start();
    for args in [
        &["ip", "link", "add", "uplink0", "type", "veth", "peer", "name", "spare0"][..],
        &["ip", "addr", "add", "192.168.123.7/24", "dev", "uplink0"],
        &["ip", "link", "set", "uplink0", "up"],
    ] {
        let out = sandbox.netns_exec(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;

    // Loopback and the default network's virbr0 are not offered as uplinks.
    let interfaces = manager.list_host_interfaces().await.unwrap();
    let shown: Vec<(&str, &str, bool, Vec<&str>)> = interfaces
        .iter()
        .map(|i| (i.name.as_str(), i.kind.as_str(), i.up, i.addresses.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(shown, [("spare0", "veth", false, vec![]), ("uplink0", "veth", true, vec!["192.168.123.7/24"])]);

    // 192.168.122.0/24 is the default network's, 123 the host's, 124 an inactive
    // network's: the suggestion is the next one.
    let lab = "<network><name>lab</name><ip address='192.168.124.1' prefix='24'/></network>";
    manager.define_xml(lab).await.unwrap();
    assert_eq!(manager.suggest_subnet("ipv4").await.unwrap(), "192.168.125.0/24");
    // What the suggestion avoided, for the wizard to check a typed subnet by the same rule.
    let used: Vec<(String, String, String)> =
        manager.list_used_subnets().await.unwrap().into_iter().map(|u| (u.subnet, u.kind, u.owner)).collect();
    for expected in [
        ("192.168.123.7/24", "address", "uplink0"),
        ("192.168.123.0/24", "route", "uplink0"),
        ("192.168.122.0/24", "network", "default"),
        ("192.168.124.0/24", "network", "lab"),
    ] {
        let expected = (expected.0.to_owned(), expected.1.to_owned(), expected.2.to_owned());
        assert!(used.contains(&expected), "{expected:?} is not in {used:?}");
    }
    let v6: ipnetwork::Ipv6Network = manager.suggest_subnet("ipv6").await.unwrap().parse().unwrap();
    assert_eq!((v6.prefix(), v6.network().octets()[0]), (64, 0xfd));
    let (kind, message) = kind(manager.suggest_subnet("ipx").await);
    assert_eq!(kind, ErrorKind::InvalidArgs);
    assert_eq!(message, "unknown address family 'ipx' (use ipv4 or ipv6)");
}
