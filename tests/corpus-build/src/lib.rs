//! The code generated for every corpus spec that the generator accepts.
//!
//! Nothing uses it: building it, with warnings denied, is the test.

#![deny(warnings)]

include!(concat!(env!("OUT_DIR"), "/capabilities.rs"));
