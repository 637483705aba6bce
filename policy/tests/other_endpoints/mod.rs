//! The CLI's requests to volumes, services, plugins, the swarm and build.

use serde_json::json;

use super::*;

pub(super) fn volume_cases() -> Vec<Case> {
    let create_volume = |what, opts, refused| case(what, "POST", "/volumes/create", Some(volume(opts)), refused);
    vec![
        create_volume("docker volume create data", json!({}), None),
        create_volume(
            "docker volume create -o type=none -o o=bind -o device=/etc",
            json!({"device": "/etc", "o": "bind", "type": "none"}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /etc"),
        ),
        create_volume(
            "docker volume create -o type=none -o o=bind -o device=<another volume>",
            json!({"device": "/var/lib/docker/volumes/other/_data", "o": "bind", "type": "none"}),
            None,
        ),
        create_volume(
            "docker volume create -o type=tmpfs -o device=tmpfs -o o=size=100m",
            json!({"device": "tmpfs", "o": "size=100m", "type": "tmpfs"}),
            None,
        ),
        create_volume(
            "docker volume create -o type=nfs -o o=addr=10.0.0.5,rw -o device=:/export",
            json!({"device": ":/export", "o": "addr=10.0.0.5,rw", "type": "nfs"}),
            None,
        ),
        create_volume(
            "docker volume create -o type=ext4 -o device=/dev/sdb1",
            json!({"device": "/dev/sdb1", "type": "ext4"}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /dev/sdb1"),
        ),
        create_volume(
            "docker volume create -o type=sysfs -o device=sysfs",
            json!({"device": "sysfs", "type": "sysfs"}),
            Some("CARINA-1014: Volume filesystem type(s) not allowed by policy: sysfs"),
        ),
    ]
}

pub(super) fn service_cases() -> Vec<Case> {
    vec![
        create_service("docker service create nginx", json!({}), None),
        create_service(
            "docker service create --mount type=bind,src=/etc,dst=/x",
            json!({"Mounts": [{"Type": "bind", "Source": "/etc", "Target": "/x"}]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /etc"),
        ),
        create_service(
            "docker service create --mount type=volume,src=data,dst=/data",
            json!({"Mounts": [{"Type": "volume", "Source": "data", "Target": "/data"}]}),
            None,
        ),
        create_service(
            "docker service create --mount type=volume,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/",
            json!({"Mounts": [{"Type": "volume", "Target": "/x", "VolumeOptions": {"DriverConfig": {
                "Name": "local", "Options": {"device": "/", "o": "bind", "type": "none"}}}}]}),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /"),
        ),
        create_service(
            "docker service create --cap-add NET_ADMIN",
            json!({"CapabilityAdd": ["CAP_NET_ADMIN"]}),
            Some(CAP_ADD),
        ),
        create_service(
            "docker service create --cap-drop ALL",
            json!({"CapabilityDrop": ["ALL"]}),
            Some(CAP_DROP),
        ),
        create_service(
            "docker service create --credential-spec file://spec.json",
            json!({"Privileges": {"CredentialSpec": {"File": "spec.json"}}}),
            Some(SECURITY_OPT),
        ),
        create_service(
            "Privileges.Seccomp unconfined (API 1.44)",
            json!({"Privileges": {"Seccomp": {"Mode": "unconfined"}}}),
            Some(SECURITY_OPT),
        ),
        create_service(
            "Privileges.AppArmor disabled (API 1.44)",
            json!({"Privileges": {"AppArmor": {"Mode": "disabled"}}}),
            Some(SECURITY_OPT),
        ),
        create_service(
            "docker service create --sysctl kernel.core_pattern=x",
            json!({"Sysctls": {"kernel.core_pattern": "x"}}),
            Some("CARINA-1009: Sysctl(s) not allowed by policy: kernel.core_pattern"),
        ),
        create_service(
            "docker service create --sysctl net.core.somaxconn=1024",
            json!({"Sysctls": {"net.core.somaxconn": "1024"}}),
            None,
        ),
        create_service(
            "docker service create --ulimit rtprio=50",
            json!({"Ulimits": [{"Name": "rtprio", "Hard": 50, "Soft": 50}]}),
            Some("CARINA-1013: Ulimit(s) not allowed by policy: rtprio"),
        ),
        case(
            "docker service update --mount-add type=bind,src=/root,dst=/r",
            "POST",
            "/services/abc/update",
            Some(service(json!({"Mounts": [{"Type": "bind", "Source": "/root", "Target": "/r"}]}))),
            Some("CARINA-1002: Host mount path(s) not allowed by policy: /root"),
        ),
        case(
            "plugin service (TaskTemplate.Runtime=plugin)",
            "POST",
            "/services/create",
            Some(json!({"Name": "p", "TaskTemplate": {"Runtime": "plugin",
                "PluginSpec": {"Name": "vieux/sshfs", "Remote": "vieux/sshfs:latest"}}})),
            Some(PLUGINS),
        ),
    ]
}

pub(super) fn plugin_swarm_build_cases() -> Vec<Case> {
    let with_query = |mut c: Case, query| {
        c.query = query;
        c
    };
    vec![
        case("docker plugin install: privileges", "GET", "/plugins/privileges", None, None),
        with_query(
            case(
                "docker plugin install vieux/sshfs",
                "POST",
                "/plugins/pull",
                Some(json!([{"Name": "network", "Description": "", "Value": ["host"]},
                    {"Name": "mount", "Description": "", "Value": ["/var/lib/docker/plugins/"]},
                    {"Name": "capabilities", "Description": "", "Value": ["CAP_SYS_ADMIN"]}])),
                Some(PLUGINS),
            ),
            "remote=vieux%2Fsshfs&name=vieux%2Fsshfs%3Alatest",
        ),
        with_query(
            case("docker plugin enable", "POST", "/plugins/vieux/sshfs:latest/enable", None, Some(PLUGINS)),
            "timeout=30",
        ),
        case("docker plugin set", "POST", "/plugins/sshfs/set", Some(json!(["DEBUG=1"])), Some(PLUGINS)),
        case("docker plugin create", "POST", "/plugins/create", None, Some(PLUGINS)),
        case("docker plugin upgrade", "POST", "/plugins/sshfs/upgrade", Some(json!([])), Some(PLUGINS)),
        case("docker plugin disable", "POST", "/plugins/sshfs/disable", None, None),
        case("docker plugin ls", "GET", "/plugins", None, None),
        case(
            "docker swarm init",
            "POST",
            "/swarm/init",
            Some(json!({"ListenAddr": "0.0.0.0:2377", "AdvertiseAddr": "", "ForceNewCluster": false, "Spec": {}})),
            Some(SWARM),
        ),
        case(
            "docker swarm join",
            "POST",
            "/swarm/join",
            Some(json!({"RemoteAddrs": ["10.0.0.1:2377"], "JoinToken": "SWMTKN-1-x"})),
            Some(SWARM),
        ),
        case("docker swarm leave --force", "POST", "/swarm/leave", None, Some(SWARM)),
        case("docker swarm update --autolock", "POST", "/swarm/update", Some(json!({})), Some(SWARM)),
        case("docker swarm unlock", "POST", "/swarm/unlock", Some(json!({"UnlockKey": "x"})), Some(SWARM)),
        case("docker swarm unlock-key", "GET", "/swarm/unlockkey", None, Some(SWARM)),
        case("docker swarm join-token (redact the response)", "GET", "/swarm", None, None),
        case("docker node rm", "DELETE", "/nodes/abc", None, Some(SWARM)),
        case(
            "docker node update --label-add",
            "POST",
            "/nodes/abc/update",
            Some(json!({"Labels": {"a": "b"}, "Role": "worker", "Availability": "active"})),
            None,
        ),
        case("docker node ls", "GET", "/nodes", None, None),
        with_query(case("docker build --network host", "POST", "/build", None, None), "networkmode=host&t=app&rm=1"),
        with_query(
            case("docker build with securityopt", "POST", "/build", None, Some(SECURITY_OPT)),
            "securityopt=seccomp%3Dunconfined&t=app",
        ),
        with_query(
            case(
                "docker build --cgroup-parent /",
                "POST",
                "/build",
                None,
                Some("CARINA-1011: Cgroup parent not allowed by policy: /"),
            ),
            "cgroupparent=%2F",
        ),
        case(
            "docker network create",
            "POST",
            "/networks/create",
            Some(json!({"Name": "net", "Driver": "overlay", "Attachable": true})),
            None,
        ),
    ]
}
