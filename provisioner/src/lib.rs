//! The domain: accounts, quotas, clusters, credentials, storage and the reconciler.
