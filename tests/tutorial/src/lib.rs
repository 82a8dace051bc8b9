//! The code generated for each step of the reference engine's shipyard tutorial, in
//! `tests/corpus/naftiko-framework-tutorial/`.
//!
//! The tests in `tests/` serve each step's adapters in front of a fake upstream that
//! answers with the examples of the tutorial's OpenAPI mocks. Building this crate with
//! warnings denied also checks that the generated code is clean.

#![deny(warnings)]

include!(concat!(env!("OUT_DIR"), "/tutorial.rs"));
