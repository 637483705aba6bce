//! The cluster endpoint: the only way users reach their cluster with the docker CLI.
