//! Resolving skill and control adapters, and MCP resources and prompts.
//!
//! Files these name (`location: file:///...`) are read here, at build time, and
//! embedded in the binary: nothing is read from the spec's folder at run time.

use std::path::{Path, PathBuf};

use super::*;

impl Resolver<'_> {
    pub(super) fn skill_adapter(
        &mut self,
        adapter: &model::SkillExpose,
        rest: &[RestAdapter],
        mcp: &[McpAdapter],
    ) -> Option<SkillAdapter> {
        let namespace = adapter.namespace.value.as_str();
        let port = self.port(adapter.port, adapter.pos, namespace);
        let auth = self.caller_auth(adapter.authentication.as_ref(), namespace);
        let mut skills = Vec::new();
        let mut names = BTreeSet::new();
        for skill in &adapter.skills {
            if !names.insert(skill.name.value.clone()) {
                self.diagnostics
                    .error(
                        skill.name.pos,
                        format!("skill `{}` is declared twice", skill.name.value),
                    )
                    .hint("give each skill its own name");
                continue;
            }
            skills.extend(self.skill(skill, rest, mcp));
        }
        Some(SkillAdapter {
            namespace: namespace.to_string(),
            address: adapter.address.as_ref().map(|t| t.value.clone()),
            port: port?,
            description: adapter.description.as_ref().map(|t| t.value.clone()),
            auth: auth?,
            skills,
        })
    }

    fn skill(
        &mut self,
        skill: &model::Skill,
        rest: &[RestAdapter],
        mcp: &[McpAdapter],
    ) -> Option<Skill> {
        let files = match &skill.location {
            Some(location) => self.folder_files(location)?,
            None => Vec::new(),
        };
        let mut tools = Vec::new();
        for tool in &skill.tools {
            tools.extend(self.skill_tool(tool, &files, rest, mcp));
        }
        Some(Skill {
            name: skill.name.value.clone(),
            description: skill.description.as_ref().map(|t| t.value.clone()),
            allowed_tools: skill.allowed_tools.as_ref().map(|t| t.value.clone()),
            argument_hint: skill.argument_hint.as_ref().map(|t| t.value.clone()),
            tools,
            files,
        })
    }

    fn skill_tool(
        &mut self,
        tool: &model::SkillTool,
        files: &[(String, Vec<u8>)],
        rest: &[RestAdapter],
        mcp: &[McpAdapter],
    ) -> Option<SkillTool> {
        if let Some((namespace, action)) = &tool.from {
            let found = rest
                .iter()
                .filter(|a| a.namespace == namespace.value)
                .any(|a| a.operations.iter().any(|op| op.name == action.value))
                || mcp
                    .iter()
                    .filter(|a| a.namespace == namespace.value)
                    .any(|a| a.tools.iter().any(|t| t.name == action.value));
            if !found {
                self.diagnostics
                    .error(
                        action.pos,
                        format!(
                            "skill tool `{}` points at `{}` in `{}`, which has no such operation or tool",
                            tool.name.value, action.value, namespace.value
                        ),
                    )
                    .hint("`from` names a REST or MCP adapter namespace and one of its operations or tools");
                return None;
            }
        }
        if let Some(file) = &tool.instruction
            && !files.iter().any(|(path, _)| *path == file.value)
        {
            self.diagnostics
                .error(
                    file.pos,
                    format!(
                        "instruction file `{}` is not in the skill's folder",
                        file.value
                    ),
                )
                .hint("give the skill a `location` folder that holds the file");
            return None;
        }
        let source = match (&tool.from, &tool.instruction) {
            (Some((namespace, action)), _) => {
                SkillToolSource::Action(namespace.value.clone(), action.value.clone())
            }
            (None, Some(file)) => SkillToolSource::Instruction(file.value.clone()),
            (None, None) => {
                self.diagnostics
                    .error(
                        tool.pos,
                        format!("skill tool `{}` has neither `from` nor `instruction`", tool.name.value),
                    )
                    .hint("point it at an exposed operation with `from`, or at a file with `instruction`");
                return None;
            }
        };
        Some(SkillTool {
            name: tool.name.value.clone(),
            description: tool.description.as_ref().map(|t| t.value.clone()),
            source,
        })
    }

    pub(super) fn control_adapter(
        &mut self,
        adapter: &model::ControlExpose,
    ) -> Option<ControlAdapter> {
        let namespace = adapter
            .namespace
            .as_ref()
            .map_or("control", |t| t.value.as_str());
        let port = self.port(adapter.port, adapter.pos, namespace);
        let auth = self.caller_auth(adapter.authentication.as_ref(), namespace);
        Some(ControlAdapter {
            namespace: namespace.to_string(),
            address: adapter.address.as_ref().map(|t| t.value.clone()),
            port: port?,
            auth: auth?,
            health: adapter.health.unwrap_or(true),
            info: adapter.info.unwrap_or(true),
            metrics: adapter.metrics.unwrap_or(true),
        })
    }

    pub(super) fn mcp_resource(
        &mut self,
        resource: &model::McpResource,
        kind: AdapterKind<'_>,
        apis: &[Api],
    ) -> Option<McpResource> {
        let operation = &resource.operation;
        let Some(name) = &operation.name else {
            self.diagnostics
                .error(operation.pos, "an MCP resource has no `name`")
                .hint("add `name:`");
            return None;
        };
        let source = match &resource.location {
            Some(location) => ResourceSource::Static(self.file(location)?),
            None => self.dynamic_resource(resource, kind, apis)?,
        };
        let uri = match &resource.uri {
            Some(uri) => uri.value.clone(),
            None => {
                self.diagnostics
                    .error(
                        operation.pos,
                        format!("resource `{}` has no `uri`", name.value),
                    )
                    .hint("add `uri:`, such as `data://items/{id}`");
                return None;
            }
        };
        Some(McpResource {
            name: name.value.clone(),
            title: operation.label.as_ref().map(|t| t.value.clone()),
            description: operation.description.as_ref().map(|t| t.value.clone()),
            uri,
            mime_type: resource.mime_type.as_ref().map(|t| t.value.clone()),
            source,
        })
    }

    fn dynamic_resource(
        &mut self,
        resource: &model::McpResource,
        kind: AdapterKind<'_>,
        apis: &[Api],
    ) -> Option<ResourceSource> {
        let operation = &resource.operation;
        let mut inputs = InputSet::default();
        if let Some(uri) = &resource.uri {
            let (_, names) = self.path_template(uri);
            for name in names {
                inputs.add(Input {
                    body_path: None,
                    name,
                    location: Location::Path,
                    json_type: JsonType::String,
                    required: true,
                    description: None,
                });
            }
        }
        let site = CallSite {
            method: None,
            route_params: None,
            description: operation.description.as_ref().map(|t| t.value.as_str()),
            label: operation.label.as_ref().map(|t| t.value.as_str()),
        };
        let (call, steps) = self.action(operation, &site, &mut inputs, kind, apis)?;
        let has_call = call.is_some() || steps.is_some();
        let output = self.output(operation, &inputs, kind, has_call)?;
        Some(ResourceSource::Dynamic {
            inputs: inputs.items,
            call,
            steps,
            output,
        })
    }

    pub(super) fn mcp_prompt(&mut self, prompt: &model::McpPrompt) -> Option<McpPrompt> {
        let arguments: Vec<(String, Option<String>, bool)> = prompt
            .arguments
            .iter()
            .map(|(name, description, required)| {
                let description = description.as_ref().map(|t| t.value.clone());
                (name.value.clone(), description, required.unwrap_or(false))
            })
            .collect();
        let names: Vec<String> = arguments.iter().map(|(n, _, _)| n.clone()).collect();
        let lookup = |name: &str| {
            names
                .iter()
                .position(|n| n == name)
                .map(TemplatePart::Input)
        };

        let mut messages = Vec::new();
        if let Some(location) = &prompt.location {
            let text = String::from_utf8(self.file(location)?).ok();
            let Some(text) = text else {
                self.diagnostics
                    .error(
                        location.pos,
                        format!("prompt file `{}` is not UTF-8 text", location.value),
                    )
                    .hint("save the prompt template as UTF-8");
                return None;
            };
            let text = Text {
                pos: location.pos,
                value: text,
            };
            let used_by = format!("prompt `{}`", prompt.name.value);
            messages.push((true, self.template_with(&text, &used_by, lookup)?));
        }
        for (role, content) in &prompt.messages {
            let user = match role.value.as_str() {
                "user" => true,
                "assistant" => false,
                other => {
                    self.diagnostics
                        .error(role.pos, format!("unknown prompt role `{other}`"))
                        .hint("use `user` or `assistant`");
                    return None;
                }
            };
            let used_by = format!("prompt `{}`", prompt.name.value);
            messages.push((user, self.template_with(content, &used_by, lookup)?));
        }
        Some(McpPrompt {
            name: prompt.name.value.clone(),
            title: prompt.label.as_ref().map(|t| t.value.clone()),
            description: prompt.description.as_ref().map(|t| t.value.clone()),
            arguments,
            messages,
        })
    }

    /// Reads a `file://` file, relative to the spec's folder unless absolute.
    fn file(&mut self, location: &Text) -> Option<Vec<u8>> {
        let path = self.location_path(location)?;
        match std::fs::read(&path) {
            Ok(bytes) => {
                self.files_read.push(path);
                Some(bytes)
            }
            Err(error) => {
                self.diagnostics
                    .error(location.pos, format!("cannot read `{}`: {error}", path.display()))
                    .hint("the file is embedded at build time, so it must exist when the binary is built");
                None
            }
        }
    }

    /// Reads every file below a `file://` folder, keyed by `/`-separated relative path.
    fn folder_files(&mut self, location: &Text) -> Option<Vec<(String, Vec<u8>)>> {
        let root = self.location_path(location)?;
        let mut files = Vec::new();
        if let Err(error) = collect_files(&root, &root, &mut files) {
            self.diagnostics
                .error(location.pos, format!("cannot read folder `{}`: {error}", root.display()))
                .hint("the folder is embedded at build time, so it must exist when the binary is built");
            return None;
        }
        files.sort();
        let mut embedded = Vec::new();
        for (relative, path) in files {
            match std::fs::read(&path) {
                Ok(bytes) => embedded.push((relative, bytes)),
                Err(error) => {
                    self.diagnostics.error(
                        location.pos,
                        format!("cannot read `{}`: {error}", path.display()),
                    );
                    return None;
                }
            }
            self.files_read.push(path);
        }
        Some(embedded)
    }

    fn location_path(&mut self, location: &Text) -> Option<PathBuf> {
        let Some(path) = location.value.strip_prefix("file://") else {
            self.diagnostics
                .error(
                    location.pos,
                    format!("location `{}` is not a file:// URL", location.value),
                )
                .hint("write `file:///./name` for a path relative to the spec's folder");
            return None;
        };
        let relative = path
            .strip_prefix('/')
            .filter(|p| p.starts_with("./") || p.starts_with("../"));
        Some(match relative {
            Some(relative) => self.folder.join(relative),
            None => PathBuf::from(path),
        })
    }
}

fn collect_files(
    root: &Path,
    dir: &Path,
    files: &mut Vec<(String, PathBuf)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(root, &path, files)?;
        } else {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((relative, path));
        }
    }
    Ok(())
}
