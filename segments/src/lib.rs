//! Segments: libvirt LXC domains, each running its own dockerd, and the Docker and
//! Swarm operations the provisioner performs on them.
