//! The code generated for the fixture specs in `specs/`, one spec per feature family.
//!
//! The tests in `tests/` serve these adapters in front of a fake upstream. Building this
//! crate with warnings denied also checks that the generated code is clean.

#![deny(warnings)]

include!(concat!(env!("OUT_DIR"), "/capabilities.rs"));
