//! The policy against the requests the docker CLI really sends (28.x negotiating API
//! 1.41 with dockerd 20.10), through the public API only.

// The CLI's full `docker run` body is deeper than `json!` expands by default.
#![recursion_limit = "256"]

mod other_endpoints;

use other_endpoints::{plugin_swarm_build_cases, service_cases, volume_cases};
use policy::{binds_of_container_create, check, inspects_body, Rule, Violation};
use serde_json::{json, Value};

/// The `POST /containers/create` body of a plain `docker run alpine`, with `host`
/// merged into its HostConfig.
fn run(host: Value) -> Value {
    let mut body = json!({
        "Hostname": "", "Domainname": "", "User": "",
        "AttachStdin": false, "AttachStdout": true, "AttachStderr": true,
        "Tty": false, "OpenStdin": false, "StdinOnce": false,
        "Env": null, "Cmd": null, "Image": "alpine", "Volumes": {}, "WorkingDir": "",
        "Entrypoint": null, "OnBuild": null, "Labels": {},
        "HostConfig": {
            "Binds": null, "ContainerIDFile": "",
            "LogConfig": {"Type": "", "Config": {}},
            "NetworkMode": "default", "PortBindings": {},
            "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
            "AutoRemove": false, "VolumeDriver": "", "VolumesFrom": null,
            "ConsoleSize": [50, 200], "CapAdd": null, "CapDrop": null, "CgroupnsMode": "",
            "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null,
            "GroupAdd": null, "IpcMode": "", "Cgroup": "", "Links": null,
            "OomScoreAdj": 0, "PidMode": "", "Privileged": false, "PublishAllPorts": false,
            "ReadonlyRootfs": false, "SecurityOpt": null, "UTSMode": "", "UsernsMode": "",
            "ShmSize": 0, "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0,
            "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [],
            "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [],
            "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [],
            "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0,
            "CpusetCpus": "", "CpusetMems": "", "Devices": [], "DeviceCgroupRules": null,
            "DeviceRequests": null, "MemoryReservation": 0, "MemorySwap": 0,
            "MemorySwappiness": null, "OomKillDisable": null, "PidsLimit": null,
            "Ulimits": [], "CpuCount": 0, "CpuPercent": 0,
            "IOMaximumIOps": 0, "IOMaximumBandwidth": 0,
            "MaskedPaths": null, "ReadonlyPaths": null
        },
        "NetworkingConfig": {"EndpointsConfig": {}}
    });
    merge(&mut body["HostConfig"], host);
    body
}

/// The `POST /services/create` body of `docker service create nginx`, with `spec`
/// merged into its ContainerSpec.
fn service(spec: Value) -> Value {
    let mut body = json!({
        "Name": "web", "Labels": {},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "nginx:latest@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                "Init": false, "StopGracePeriod": 10000000000u64, "DNSConfig": {},
                "Isolation": "default"
            },
            "Resources": {"Limits": {}, "Reservations": {}},
            "RestartPolicy": {"Condition": "any", "Delay": 5000000000u64, "MaxAttempts": 0},
            "Placement": {}, "ForceUpdate": 0, "Runtime": "container"
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "UpdateConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5000000000u64,
            "MaxFailureRatio": 0, "Order": "stop-first"},
        "RollbackConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5000000000u64,
            "MaxFailureRatio": 0, "Order": "stop-first"},
        "EndpointSpec": {"Mode": "vip"}
    });
    merge(&mut body["TaskTemplate"]["ContainerSpec"], spec);
    body
}

fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

/// `POST /volumes/create` as `docker volume create` sends it.
fn volume(driver_opts: Value) -> Value {
    json!({"Driver": "local", "DriverOpts": driver_opts, "Labels": {}, "Name": "data"})
}

struct Case {
    what: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static str,
    body: Option<Value>,
    /// `None`: allowed; otherwise the exact message.
    refused: Option<&'static str>,
}

fn case(
    what: &'static str,
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    refused: Option<&'static str>,
) -> Case {
    Case { what, method, path, query: "", body, refused }
}

fn create(what: &'static str, host: Value, refused: Option<&'static str>) -> Case {
    case(what, "POST", "/containers/create", Some(run(host)), refused)
}

fn create_service(what: &'static str, spec: Value, refused: Option<&'static str>) -> Case {
    case(what, "POST", "/services/create", Some(service(spec)), refused)
}

const PRIVILEGED: &str = "CARINA-1001: Privileged containers not allowed by policy";
const SECURITY_OPT: &str = "CARINA-1000: Changing SecurityOpt not allowed by policy";
const CAP_ADD: &str = "CARINA-1003: Adding capabilities not allowed by policy";
const CAP_DROP: &str = "CARINA-1004: Dropping capabilities not allowed by policy";
const IPC_HOST: &str = "CARINA-1006: Setting ipc=host not allowed by policy";
const PLUGINS: &str = "CARINA-1016: Managing plugins not allowed by policy";
const SWARM: &str = "CARINA-1017: Managing the swarm not allowed by policy";

fn container_cases() -> Vec<Case> {
    vec![
        create("docker run alpine", json!({}), None),
        create("--privileged", json!({"Privileged": true}), Some(PRIVILEGED)),
        create("--cap-add NET_ADMIN", json!({"CapAdd": ["NET_ADMIN"]}), Some(CAP_ADD)),
        create("--cap-add ALL", json!({"CapAdd": ["ALL"]}), Some(CAP_ADD)),
        create("--cap-drop ALL", json!({"CapDrop": ["ALL"]}), Some(CAP_DROP)),
        create("Capabilities (API 1.40)", json!({"Capabilities": ["CAP_SYS_ADMIN"]}), Some(CAP_ADD)),
        create(
            "-v /etc:/x",
            json!({"Binds": ["/etc:/x"]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /etc"),
        ),
        create(
            "-v /etc:/x -v /root/:/y:ro",
            json!({"Binds": ["/etc:/x", "/root/:/y:ro"]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /etc, /root"),
        ),
        create(
            "-v /var/lib/docker/volumes/x/_data:/x",
            json!({"Binds": ["/var/lib/docker/volumes/x/_data:/x"]}),
            None,
        ),
        create("-v myvol:/data", json!({"Binds": ["myvol:/data"]}), None),
        create("-v /data (anonymous)", json!({"Binds": ["/data"]}), None),
        create(
            "-v /var/lib/dockerfoo:/x",
            json!({"Binds": ["/var/lib/dockerfoo:/x"]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /var/lib/dockerfoo"),
        ),
        create(
            "-v /var/lib/docker/../../../etc:/x",
            json!({"Binds": ["/var/lib/docker/../../../etc:/x"]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /etc"),
        ),
        create(
            "-v /var/lib/docker:/var/lib/docker",
            json!({"Binds": ["/var/lib/docker:/var/lib/docker"]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /var/lib/docker"),
        ),
        create(
            "-v /var/run/docker.sock:/var/run/docker.sock",
            json!({"Binds": ["/var/run/docker.sock:/var/run/docker.sock"]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /var/run/docker.sock"),
        ),
        create(
            "--mount type=bind,src=/,dst=/host",
            json!({"Mounts": [{"Type": "bind", "Source": "/", "Target": "/host"}]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /"),
        ),
        create(
            "--mount type=bind,src=/run/docker.sock,dst=/run/docker.sock",
            json!({"Mounts": [{"Type": "bind", "Source": "/run/docker.sock", "Target": "/run/docker.sock"}]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /run/docker.sock"),
        ),
        create(
            "--mount type=volume,dst=/x,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc",
            json!({"Mounts": [{"Type": "volume", "Target": "/x", "VolumeOptions": {"DriverConfig": {
                "Name": "local", "Options": {"device": "/etc", "o": "bind", "type": "none"}}}}]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /etc"),
        ),
        create(
            "--mount type=volume,dst=/p,volume-opt=type=proc,volume-opt=device=proc",
            json!({"Mounts": [{"Type": "volume", "Target": "/p", "VolumeOptions": {"DriverConfig": {
                "Name": "local", "Options": {"device": "proc", "type": "proc"}}}}]}),
            Some("CARINA-1014: Volume filesystem type(s) not allowed by policy: proc"),
        ),
        create(
            "--mount type=volume,src=data,dst=/data",
            json!({"Mounts": [{"Type": "volume", "Source": "data", "Target": "/data"}]}),
            None,
        ),
        create(
            "--mount type=tmpfs,dst=/run",
            json!({"Mounts": [{"Type": "tmpfs", "Target": "/run", "TmpfsOptions": {"SizeBytes": 65536}}]}),
            None,
        ),
        create(
            "--device /dev/sda",
            json!({"Devices": [{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]}),
            Some("CARINA-1008: Host devices not allowed by policy: /dev/sda"),
        ),
        create(
            "--gpus all",
            json!({"DeviceRequests": [{"Driver": "", "Count": -1, "DeviceIDs": null,
                "Capabilities": [["gpu"]], "Options": {}}]}),
            Some("CARINA-1008: Host devices not allowed by policy: gpu"),
        ),
        create(
            "--device-cgroup-rule 'c *:* rwm'",
            json!({"DeviceCgroupRules": ["c *:* rwm"]}),
            Some("CARINA-1008: Host devices not allowed by policy: c *:* rwm"),
        ),
        create(
            "--pid host",
            json!({"PidMode": "host"}),
            Some("CARINA-1007: Host namespace(s) not allowed by policy: pid=host"),
        ),
        create(
            "--uts host --userns host",
            json!({"UTSMode": "host", "UsernsMode": "host"}),
            Some("CARINA-1007: Host namespace(s) not allowed by policy: uts=host, userns=host"),
        ),
        create(
            "--cgroupns host",
            json!({"CgroupnsMode": "host"}),
            Some("CARINA-1007: Host namespace(s) not allowed by policy: cgroupns=host"),
        ),
        create("--ipc host", json!({"IpcMode": "host"}), Some(IPC_HOST)),
        create("--ipc shareable", json!({"IpcMode": "shareable"}), None),
        create("--pid container:web", json!({"PidMode": "container:web"}), None),
        create("--net host", json!({"NetworkMode": "host"}), None),
        create(
            "--security-opt seccomp=unconfined",
            json!({"SecurityOpt": ["seccomp=unconfined"]}),
            Some(SECURITY_OPT),
        ),
        create(
            "--security-opt apparmor=unconfined",
            json!({"SecurityOpt": ["apparmor=unconfined"]}),
            Some(SECURITY_OPT),
        ),
        create("--security-opt label=disable", json!({"SecurityOpt": ["label=disable"]}), Some(SECURITY_OPT)),
        create(
            "--security-opt systempaths=unconfined",
            json!({"MaskedPaths": [], "ReadonlyPaths": []}),
            Some(SECURITY_OPT),
        ),
        create(
            "--security-opt no-new-privileges",
            json!({"SecurityOpt": ["no-new-privileges"]}),
            None,
        ),
        create(
            "--security-opt no-new-privileges:true",
            json!({"SecurityOpt": ["no-new-privileges:true"]}),
            None,
        ),
        create("--volumes-from x", json!({"VolumesFrom": ["x"]}), None),
        create("--volumes-from swarm-data:ro", json!({"VolumesFrom": ["swarm-data:ro"]}), None),
        create(
            "--runtime sysbox-runc",
            json!({"Runtime": "sysbox-runc"}),
            Some("CARINA-1010: Container runtime not allowed by policy: sysbox-runc"),
        ),
        create("--runtime runc", json!({"Runtime": "runc"}), None),
        create(
            "--cgroup-parent /",
            json!({"CgroupParent": "/"}),
            Some("CARINA-1011: Cgroup parent not allowed by policy: /"),
        ),
        create(
            "--sysctl net.ipv4.ip_unprivileged_port_start=0 --sysctl kernel.shmmax=1073741824",
            json!({"Sysctls": {"net.ipv4.ip_unprivileged_port_start": "0", "kernel.shmmax": "1073741824"}}),
            None,
        ),
        create(
            "--sysctl kernel.core_pattern=|/tmp/x",
            json!({"Sysctls": {"kernel.core_pattern": "|/tmp/x"}}),
            Some("CARINA-1009: Sysctl(s) not allowed by policy: kernel.core_pattern"),
        ),
        create(
            "--net host --sysctl net.ipv4.ip_forward=1",
            json!({"NetworkMode": "host", "Sysctls": {"net.ipv4.ip_forward": "1"}}),
            Some("CARINA-1009: Sysctl(s) not allowed by policy: net.ipv4.ip_forward"),
        ),
        create(
            "--oom-score-adj -1000",
            json!({"OomScoreAdj": -1000}),
            Some("CARINA-1012: Negative OomScoreAdj not allowed by policy"),
        ),
        create("--oom-score-adj 500", json!({"OomScoreAdj": 500}), None),
        create(
            "--ulimit rtprio=99",
            json!({"Ulimits": [{"Name": "rtprio", "Hard": 99, "Soft": 99}]}),
            Some("CARINA-1013: Ulimit(s) not allowed by policy: rtprio"),
        ),
        create(
            "--ulimit nofile=1024:4096 --pids-limit 100 --memory 512m",
            json!({"Ulimits": [{"Name": "nofile", "Hard": 4096, "Soft": 1024}],
                "PidsLimit": 100, "Memory": 536870912}),
            None,
        ),
        create(
            "-p 8080:80 --restart always --tmpfs /run",
            json!({"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0},
                "Tmpfs": {"/run": ""}}),
            None,
        ),
        create(
            "lower-case key, as Go's decoder accepts it",
            json!({"privileged": true}),
            Some(PRIVILEGED),
        ),
        create(
            "long-s spelling of SecurityOpt",
            json!({"\u{017F}ecurityOpt": ["seccomp=unconfined"]}),
            Some(SECURITY_OPT),
        ),
        create(
            "several rules: the first in check order wins",
            json!({"Privileged": true, "CapAdd": ["SYS_ADMIN"], "Binds": ["/:/host"]}),
            Some(PRIVILEGED),
        ),
        case(
            "deprecated top-level HostConfig fields (no HostConfig)",
            "POST",
            "/containers/create",
            Some(json!({"Image": "alpine", "Binds": ["/:/host"], "Privileged": false})),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /"),
        ),
        case(
            "version prefix left in the path",
            "POST",
            "/v1.41/containers/create",
            Some(run(json!({"Privileged": true}))),
            Some(PRIVILEGED),
        ),
        case(
            "start with a HostConfig body (API 1.23)",
            "POST",
            "/containers/abc/start",
            Some(json!({"Privileged": true, "Binds": ["/:/host"]})),
            Some(PRIVILEGED),
        ),
        case("docker start", "POST", "/containers/abc/start", None, None),
        case(
            "docker update --memory 512m",
            "POST",
            "/containers/abc/update",
            Some(json!({"CpuShares": 0, "Memory": 536870912, "CgroupParent": "", "BlkioWeight": 0,
                "Devices": null, "DeviceCgroupRules": null, "DeviceRequests": null,
                "Ulimits": null, "PidsLimit": null,
                "RestartPolicy": {"Name": "", "MaximumRetryCount": 0}})),
            None,
        ),
        case(
            "update with devices (ignored by dockerd 20.10, refused anyway)",
            "POST",
            "/containers/abc/update",
            Some(json!({"Devices": [{"PathOnHost": "/dev/mem", "PathInContainer": "/dev/mem", "CgroupPermissions": "rwm"}]})),
            Some("CARINA-1008: Host devices not allowed by policy: /dev/mem"),
        ),
        case(
            "docker exec -it web sh",
            "POST",
            "/containers/web/exec",
            Some(json!({"User": "", "Privileged": false, "Tty": true, "ConsoleSize": [50, 200],
                "AttachStdin": true, "AttachStderr": true, "AttachStdout": true, "Detach": false,
                "DetachKeys": "", "Env": null, "WorkingDir": "", "Cmd": ["sh"]})),
            None,
        ),
        case(
            "docker exec --privileged web sh",
            "POST",
            "/containers/web/exec",
            Some(json!({"User": "", "Privileged": true, "Tty": false, "AttachStdin": false,
                "AttachStderr": true, "AttachStdout": true, "Detach": false, "DetachKeys": "",
                "Env": null, "WorkingDir": "", "Cmd": ["sh"]})),
            Some("CARINA-1015: Privileged exec not allowed by policy"),
        ),
        case("docker rm (CARINA-1005 is the gateway's)", "DELETE", "/containers/swarm-data", None, None),
        case("docker ps", "GET", "/containers/json", None, None),
    ]
}

#[test]
fn cli_requests() {
    let cases = [container_cases(), volume_cases(), service_cases(), plugin_swarm_build_cases()];
    let mut failures = Vec::new();
    for c in cases.iter().flatten() {
        let got = check(c.method, c.path, c.query, c.body.as_ref()).map_err(|v| v.to_string());
        let want = c.refused.map(str::to_string).map_or(Ok(()), Err);
        if got != want {
            failures.push(format!("{}: got {got:?}, want {want:?}", c.what));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn violation_display_is_code_then_message() {
    let violation =
        check("POST", "/containers/create", "", Some(&run(json!({"Binds": ["/etc:/x", "/root:/y"]})))).unwrap_err();
    assert_eq!(violation.rule, Rule::HostMountPath);
    assert_eq!(violation.rule.code(), 1002);
    assert_eq!(violation.detail.as_deref(), Some("/etc, /root"));
    assert_eq!(violation.to_string(), "CARINA-1002: Host mount path(s) not allowed by policy: /etc, /root");
    for rule in Rule::ALL {
        let text = Violation::new(rule).to_string();
        assert_eq!(text, format!("CARINA-{}: {}", rule.code(), rule.message()));
    }
}

#[test]
fn binds_for_the_gateways_symlink_check() {
    let body = run(json!({
        "Binds": ["/var/lib/docker/volumes/web/_data:/srv", "cache:/cache"],
        "Mounts": [{"Type": "bind", "Source": "/var/lib/docker/volumes/logs/_data/", "Target": "/logs"}]
    }));
    assert_eq!(check("POST", "/containers/create", "", Some(&body)), Ok(()));
    assert_eq!(
        binds_of_container_create(&body),
        vec!["/var/lib/docker/volumes/web/_data", "/var/lib/docker/volumes/logs/_data"]
    );
    assert!(binds_of_container_create(&run(json!({}))).is_empty());
}

#[test]
fn bodies_the_gateway_must_parse() {
    assert!(inspects_body("POST", "/containers/create"));
    assert!(inspects_body("POST", "/containers/abc/start"));
    assert!(inspects_body("POST", "/containers/abc/exec"));
    assert!(inspects_body("POST", "/services/abc/update"));
    assert!(inspects_body("POST", "/volumes/create"));
    assert!(!inspects_body("POST", "/build"));
    assert!(!inspects_body("GET", "/containers/json"));
    assert!(!inspects_body("POST", "/images/create"));
}
