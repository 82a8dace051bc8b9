//! REST adapters that share one listener, and the `/openapi.json` route of every REST
//! listener.
//!
//! Each adapter keeps its own router, with its caller authentication, forwards and error
//! responses. The shared router sends a request on an operation's route and method to the
//! router of the adapter that declares it, and any other request to the adapter whose forward
//! takes the path, or else answers it with a JSON `404` or `405`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::MethodRouter;
use serde_json::{Map, Value};
use tower::ServiceExt as _;

use crate::descriptor::{Capability, HttpMethod, RestAdapter};
use crate::invoke::CapabilityContext;
use crate::{forward, rest};

/// The route every REST listener serves its OpenAPI document on.
pub const OPENAPI_ROUTE: &str = "/openapi.json";

/// Two REST adapters on one listener that cannot be served together.
#[derive(Debug, thiserror::Error)]
#[error(
    "rest adapters `{first_namespace}` ({first_spec}) and `{second_namespace}` ({second_spec}) \
     share a listener but both declare {method} {route}; give one of them another port"
)]
pub struct RouteClash {
    /// The route, as the second adapter declares it.
    pub route: &'static str,
    /// The HTTP method, or `ANY` for routes that differ only in placeholder names.
    pub method: &'static str,
    /// The expose namespace of the first adapter.
    pub first_namespace: &'static str,
    /// The spec file of the first adapter's capability.
    pub first_spec: &'static str,
    /// The expose namespace of the second adapter.
    pub second_namespace: &'static str,
    /// The spec file of the second adapter's capability.
    pub second_spec: &'static str,
}

/// Checks that no route and method is declared by two of `members`, and that no two routes
/// differ only in their placeholder names, which the router cannot tell apart.
pub fn check_routes(
    members: &[(&'static RestAdapter, &'static Capability)],
) -> Result<(), RouteClash> {
    // The owner of every (route shape, method), and of every route shape with its spelling.
    let mut methods: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    let mut shapes: BTreeMap<String, (usize, &'static str)> = BTreeMap::new();
    for (index, (adapter, capability)) in members.iter().enumerate() {
        for operation in adapter.operations {
            let shape = route_shape(operation.route);
            let clash = |owner: usize, method: &'static str| {
                let (first, first_capability) = members[owner];
                RouteClash {
                    route: operation.route,
                    method,
                    first_namespace: first.namespace,
                    first_spec: first_capability.spec_file,
                    second_namespace: adapter.namespace,
                    second_spec: capability.spec_file,
                }
            };
            match shapes.get(&shape) {
                Some(&(owner, route)) if route != operation.route => {
                    return Err(clash(owner, "ANY"));
                }
                Some(_) => {}
                None => {
                    shapes.insert(shape.clone(), (index, operation.route));
                }
            }
            let key = (shape, operation.method.as_str());
            match methods.get(&key) {
                // One adapter declaring a route and method twice is logged by `rest::router`.
                Some(&owner) if owner != index => {
                    return Err(clash(owner, operation.method.as_str()));
                }
                Some(_) => {}
                None => {
                    methods.insert(key, index);
                }
            }
        }
    }
    Ok(())
}

/// Returns `route` with every placeholder name removed, so `/a/{x}` and `/a/{y}` compare
/// equal.
fn route_shape(route: &str) -> String {
    let mut shape = String::with_capacity(route.len());
    let mut in_placeholder = false;
    for character in route.chars() {
        match character {
            '{' => {
                in_placeholder = true;
                shape.push('{');
            }
            '}' => {
                in_placeholder = false;
                shape.push('}');
            }
            '*' if in_placeholder => shape.push('*'),
            _ if in_placeholder => {}
            _ => shape.push(character),
        }
    }
    shape
}

/// Builds the router of REST adapters that share one listener. The caller must have passed
/// their adapters through [`check_routes`].
pub fn router(members: &[(&'static RestAdapter, Arc<CapabilityContext>)]) -> Router {
    let routers: Vec<Router> = members
        .iter()
        .map(|(adapter, context)| rest::router(adapter, Arc::clone(context)))
        .collect();
    let adapters: Arc<Vec<(&'static RestAdapter, Router)>> = Arc::new(
        members
            .iter()
            .map(|(adapter, _)| *adapter)
            .zip(routers.iter().cloned())
            .collect(),
    );
    let has_forwards = members
        .iter()
        .any(|(adapter, _)| !adapter.forwards.is_empty());

    // Routes in declaration order, each with the methods registered so far.
    let mut routes: Vec<(&'static str, MethodRouter, Vec<HttpMethod>)> = Vec::new();
    for ((adapter, _), adapter_router) in members.iter().zip(&routers) {
        for operation in adapter.operations {
            let position = match routes
                .iter()
                .position(|(route, ..)| *route == operation.route)
            {
                Some(position) => position,
                None => {
                    routes.push((operation.route, MethodRouter::new(), Vec::new()));
                    routes.len() - 1
                }
            };
            let (_, method_router, methods) = &mut routes[position];
            if methods.contains(&operation.method) {
                continue;
            }
            methods.push(operation.method);
            *method_router = std::mem::take(method_router).on_service(
                rest::method_filter(operation.method),
                adapter_router.clone(),
            );
        }
    }

    let mut router = Router::new();
    for (route, method_router, _) in routes {
        let method_router = if has_forwards {
            let adapters = Arc::clone(&adapters);
            method_router.fallback(move |request: Request| {
                unrouted(
                    Arc::clone(&adapters),
                    request,
                    StatusCode::METHOD_NOT_ALLOWED,
                )
            })
        } else {
            method_router
        };
        router = router.route(route, method_router);
    }
    router.fallback(move |request: Request| {
        unrouted(Arc::clone(&adapters), request, StatusCode::NOT_FOUND)
    })
}

/// Serves a request no operation takes: through the adapter whose forward takes its path,
/// or else with a JSON error of `status`.
async fn unrouted(
    adapters: Arc<Vec<(&'static RestAdapter, Router)>>,
    request: Request,
    status: StatusCode,
) -> Response {
    let path = request.uri().path().to_owned();
    let owner = adapters
        .iter()
        .filter_map(|(adapter, router)| {
            forward::find(adapter, &path).map(|(forward, _)| (forward.route.len(), router))
        })
        .max_by_key(|(length, _)| *length);
    if let Some((_, router)) = owner {
        return match router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(infallible) => match infallible {},
        };
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        let message = format!("method {} is not allowed on {path}", request.method());
        return rest::error_response(status, "method_not_allowed", &message);
    }
    rest::not_found(request.method().clone(), request.uri().clone()).await
}

/// Adds `GET /openapi.json` to the router of `adapters`, serving the OpenAPI document of the
/// only adapter or, for several, one document with the `paths` of all of them.
///
/// The route is not behind caller authentication, because it only describes the API. When an
/// adapter declares `GET /openapi.json` itself, its operation keeps the route.
pub fn with_openapi(router: Router, adapters: &[&'static RestAdapter]) -> Router {
    let declared = adapters.iter().any(|adapter| {
        adapter
            .operations
            .iter()
            .any(|operation| operation.route == OPENAPI_ROUTE)
    });
    if declared {
        tracing::info!(
            route = OPENAPI_ROUTE,
            "an operation declares the OpenAPI route, so the generated document is not served"
        );
        return router;
    }
    let document = match openapi_document(adapters) {
        Ok(document) => Arc::new(document),
        Err(error) => {
            tracing::error!(%error, "invalid OpenAPI document, serving a 500 on its route");
            return router.route(
                OPENAPI_ROUTE,
                axum::routing::get(move || async move {
                    rest::error_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "invalid_openapi",
                        &error,
                    )
                }),
            );
        }
    };
    router.route(
        OPENAPI_ROUTE,
        axum::routing::get(move || async move { axum::Json(document.as_ref().clone()) }),
    )
}

/// Returns the OpenAPI document of `adapters`: the first adapter's document with the
/// `paths` and `components.schemas` of the others added, and every title in `info.title`.
pub fn openapi_document(adapters: &[&'static RestAdapter]) -> Result<Value, String> {
    let mut merged: Option<Value> = None;
    for adapter in adapters {
        let document: Value = serde_json::from_str(adapter.openapi).map_err(|error| {
            format!(
                "the OpenAPI document of `{}` is not valid JSON: {error}",
                adapter.namespace
            )
        })?;
        let Value::Object(document) = document else {
            return Err(format!(
                "the OpenAPI document of `{}` is not a JSON object",
                adapter.namespace
            ));
        };
        match &mut merged {
            None => merged = Some(Value::Object(document)),
            Some(Value::Object(base)) => merge_document(base, document),
            Some(_) => {}
        }
    }
    merged.ok_or_else(|| "no REST adapter to describe".to_owned())
}

fn merge_document(base: &mut Map<String, Value>, other: Map<String, Value>) {
    let other_title = other
        .get("info")
        .and_then(|info| info.get("title"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let (Some(title), Some(Value::Object(info))) = (other_title, base.get_mut("info")) {
        let joined = match info.get("title").and_then(Value::as_str) {
            Some(first) => format!("{first}, {title}"),
            None => title,
        };
        info.insert("title".to_owned(), Value::String(joined));
    }
    if let Some(Value::Object(paths)) = other.get("paths") {
        merge_objects(base, "paths", paths, 2);
    }
    if let Some(Value::Object(schemas)) = other
        .get("components")
        .and_then(|components| components.get("schemas"))
    {
        let components = base
            .entry("components")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(components) = components {
            merge_objects(components, "schemas", schemas, 1);
        }
    }
}

/// Adds the entries of `other` to the object at `base[key]`, merging objects present in both
/// down to `depth` levels, so a path declared by two documents keeps the methods of both.
fn merge_objects(base: &mut Map<String, Value>, key: &str, other: &Map<String, Value>, depth: u8) {
    let target = base.entry(key).or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(target) = target else {
        return;
    };
    for (name, value) in other {
        match (target.get_mut(name), value) {
            (Some(Value::Object(_)), Value::Object(inner)) if depth > 1 => {
                merge_objects(target, name, inner, depth - 1);
            }
            (Some(_), _) => {}
            (None, _) => {
                target.insert(name.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_shape_drops_placeholder_names() {
        assert_eq!(route_shape("/a/{x}/b"), "/a/{}/b");
        assert_eq!(route_shape("/a/{y}/b"), "/a/{}/b");
        assert_eq!(route_shape("/files/{*path}"), "/files/{*}");
        assert_eq!(route_shape("/plain"), "/plain");
    }

    #[test]
    fn merged_paths_keep_both_methods() {
        let mut base: Map<String, Value> =
            serde_json::from_str(r#"{"info": {"title": "A"}, "paths": {"/x": {"get": {}}}}"#)
                .expect("valid JSON");
        let other: Map<String, Value> = serde_json::from_str(
            r#"{"info": {"title": "B"}, "paths": {"/x": {"post": {}}, "/y": {"get": {}}}}"#,
        )
        .expect("valid JSON");
        merge_document(&mut base, other);
        let merged = Value::Object(base);
        assert_eq!(merged["info"]["title"], "A, B");
        assert!(merged["paths"]["/x"]["get"].is_object());
        assert!(merged["paths"]["/x"]["post"].is_object());
        assert!(merged["paths"]["/y"]["get"].is_object());
    }
}
