//! Shared fixtures of the skill adapter tests: a capability with a REST adapter and a skill
//! adapter, and a small zip reader.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use naftiko_runtime::descriptor::{
    Capability, RestAdapter, Skill, SkillAdapter, SkillFile, SkillTool, SkillToolSource,
};
use naftiko_runtime::invoke::CapabilityContext;
use naftiko_runtime::secret::{BindValues, Secret};
use naftiko_test_support::loopback_http;

/// The contents of the `orders` skill's instruction file.
pub const GUIDE: &str = "# Orders\n\nList orders before changing one.\n";
/// Bytes that are not UTF-8, served by the `orders` skill as `data/blob.bin`.
pub const BLOB: &[u8] = &[0x00, 0xFF, 0xFE, 0x80, 0x7F, b'\n'];
/// The contents of the `private` skill's file, which no request for another skill may
/// return.
pub const SECRET: &str = "private-contents-4471";

pub static REST_ADAPTER: RestAdapter = RestAdapter {
    namespace: "orders-rest",
    address: None,
    port: 0,
    description: None,
    operations: &[],
    forwards: &[],
    openapi: "{}",
    auth: None,
};

pub const ORDERS: Skill = Skill {
    name: "orders",
    description: "Tools for managing orders",
    allowed_tools: Some("list-orders"),
    argument_hint: Some("Use for order operations"),
    tools: &[
        SkillTool {
            name: "list-orders",
            description: "List all orders in the system",
            source: SkillToolSource::Action {
                namespace: "orders-rest",
                action: "list-orders",
            },
        },
        SkillTool {
            name: "order-guide",
            description: "Guide for working with orders",
            source: SkillToolSource::Instruction {
                file: "order-guide.md",
            },
        },
        SkillTool {
            name: "ship-order",
            description: "Ship an order",
            source: SkillToolSource::Action {
                namespace: "shipping",
                action: "ship",
            },
        },
    ],
    // Not sorted on purpose: the adapter sorts by path.
    files: &[
        SkillFile {
            path: "order-guide.md",
            contents: GUIDE.as_bytes(),
        },
        SkillFile {
            path: "data/blob.bin",
            contents: BLOB,
        },
        SkillFile {
            path: "examples/read me.txt",
            contents: b"spaces in the name\n",
        },
    ],
};

/// A skill whose folder brings its own `SKILL.md`.
pub const AUTHORED: Skill = Skill {
    name: "authored",
    description: "A skill with its own manifest",
    allowed_tools: None,
    argument_hint: None,
    tools: &[],
    files: &[SkillFile {
        path: "SKILL.md",
        contents: b"---\nname: authored\n---\nWritten by hand.\n",
    }],
};

/// A skill without `location`.
pub const ONBOARDING: Skill = Skill {
    name: "onboarding-guide",
    description: "A purely descriptive skill with no tools",
    allowed_tools: None,
    argument_hint: None,
    tools: &[],
    files: &[],
};

pub const PRIVATE: Skill = Skill {
    name: "private",
    description: "Holds a file that traversal attempts aim at",
    allowed_tools: None,
    argument_hint: None,
    tools: &[],
    files: &[SkillFile {
        path: "secret.txt",
        contents: SECRET.as_bytes(),
    }],
};

pub static SKILL_ADAPTER: SkillAdapter = SkillAdapter {
    namespace: "orders-skills",
    address: None,
    port: 9097,
    description: Some("Order management skills catalog"),
    auth: None,
    skills: &[ORDERS, AUTHORED, ONBOARDING, PRIVATE],
};

pub static CAPABILITY: Capability = Capability {
    name: "skill-test",
    spec_file: "specs/skill-test.yaml",
    description: None,
    binds: &[],
    consumes: &[],
    rest: &[&REST_ADAPTER],
    mcp: &[],
    control: &[],
    skill: &[&SKILL_ADAPTER],
};

/// Returns the context of [`CAPABILITY`] with these bind values.
pub fn context(binds: Vec<Secret>) -> Arc<CapabilityContext> {
    Arc::new(CapabilityContext::new(
        &CAPABILITY,
        BindValues::from_values(binds),
        loopback_http(),
        &BTreeMap::new(),
    ))
}

/// One entry of a zip archive.
#[derive(Debug)]
pub struct ZipEntry {
    pub name: String,
    pub contents: Vec<u8>,
}

/// Reads a zip archive of stored entries through its central directory, checking that each
/// local header agrees with it and that each CRC-32 is right.
pub fn read_zip(archive: &[u8]) -> Vec<ZipEntry> {
    let u16_at = |offset: usize| u16::from_le_bytes([archive[offset], archive[offset + 1]]);
    let u32_at = |offset: usize| {
        u32::from_le_bytes([
            archive[offset],
            archive[offset + 1],
            archive[offset + 2],
            archive[offset + 3],
        ])
    };
    let end = archive.len() - 22;
    assert_eq!(
        u32_at(end),
        0x0605_4b50,
        "end of central directory signature"
    );
    let count = usize::from(u16_at(end + 10));
    let mut position = u32_at(end + 16) as usize;
    let mut entries = Vec::new();
    for _ in 0..count {
        assert_eq!(u32_at(position), 0x0201_4b50, "central directory signature");
        let method = u16_at(position + 10);
        let crc = u32_at(position + 16);
        let compressed = u32_at(position + 20) as usize;
        let size = u32_at(position + 24) as usize;
        let name_length = usize::from(u16_at(position + 28));
        let extra_length = usize::from(u16_at(position + 30));
        let comment_length = usize::from(u16_at(position + 32));
        let local = u32_at(position + 42) as usize;
        let name = &archive[position + 46..position + 46 + name_length];
        assert_eq!(method, 0, "stored entries");
        assert_eq!(compressed, size, "stored size equals size");

        assert_eq!(u32_at(local), 0x0403_4b50, "local header signature");
        assert_eq!(u32_at(local + 14), crc, "local CRC-32");
        let local_name_length = usize::from(u16_at(local + 26));
        let local_extra_length = usize::from(u16_at(local + 28));
        assert_eq!(&archive[local + 30..local + 30 + local_name_length], name);
        let data_start = local + 30 + local_name_length + local_extra_length;
        let contents = archive[data_start..data_start + size].to_vec();
        assert_eq!(bitwise_crc32(&contents), crc, "CRC-32 of {name:?}");

        entries.push(ZipEntry {
            name: String::from_utf8(name.to_vec()).expect("UTF-8 entry name"),
            contents,
        });
        position += 46 + name_length + extra_length + comment_length;
    }
    entries
}

/// CRC-32 computed bit by bit, independently of the adapter's table-driven one.
fn bitwise_crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}
