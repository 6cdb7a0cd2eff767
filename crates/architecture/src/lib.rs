//! Nothing to use: this crate only holds `tests/invariants.rs`, which reads the repository's
//! manifests and sources to check the invariants ARCHITECTURE.md states (in the manner of
//! rust-analyzer's tidy tests).
