//! The deployment files: Kubernetes manifests parse as YAML and agree with each other and with
//! the server (ports, probes on gRPC health, labels), and the Dockerfile builds a non-root
//! multi-stage image. No cluster runs here; this checks what can be checked without one.

use serde_yaml_ng::Value;
use std::path::Path;

fn docs(file: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).expect("valid YAML"))
        .collect()
}

fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(v, |v, key| match key.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[key],
        })
}

fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    get(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path} is not a string"))
}

#[test]
fn every_manifest_parses_and_has_kind_and_name() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let mut kinds = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".yaml") {
            continue;
        }
        for d in docs(&name) {
            assert!(d["apiVersion"].is_string(), "{name}: apiVersion");
            assert!(!s(&d, "metadata.name").is_empty(), "{name}: metadata.name");
            kinds.push(s(&d, "kind").to_owned());
        }
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "Deployment",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "Service",
            "Service"
        ]
    );
}

#[test]
fn deployment_probes_grpc_health_runs_as_non_root_and_sizes_resources() {
    let d = &docs("deployment.yaml")[0];
    let labels = get(d, "spec.selector.matchLabels");
    assert_eq!(get(d, "spec.template.metadata.labels"), labels);
    let c = get(d, "spec.template.spec.containers.0");
    let ports: Vec<u64> = c["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p["containerPort"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, [50051, 9464]);
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
        assert_eq!(
            get(c, &format!("{probe}.grpc.port")).as_u64(),
            Some(50051),
            "{probe}"
        );
    }
    assert_eq!(
        s(c, "readinessProbe.grpc.service"),
        paratag::service::SERVICE_NAME
    );
    let env: Vec<&str> = c["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for var in [
        "PARATAG_LISTEN",
        "PARATAG_DRAIN_DELAY",
        "PARATAG_METRICS_LISTEN",
    ] {
        assert!(env.contains(&var), "{var}");
    }
    // Every PARATAG_ variable the manifest sets is one the server reads.
    let help = {
        use clap::CommandFactory;
        let mut cmd = paratag::config::Cli::command();
        cmd.build();
        let serve = cmd.find_subcommand("serve").unwrap().clone();
        serve
            .get_arguments()
            .filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
    };
    for var in &env {
        assert!(
            help.iter().any(|h| h == var),
            "{var} is not a serve setting"
        );
    }
    assert!(get(c, "resources.requests.memory").is_string());
    assert!(get(c, "resources.limits.memory").is_string());
    assert_eq!(
        get(d, "spec.template.spec.securityContext.runAsNonRoot").as_bool(),
        Some(true)
    );
    assert_eq!(
        get(c, "securityContext.readOnlyRootFilesystem").as_bool(),
        Some(true)
    );
    let grace = get(d, "spec.template.spec.terminationGracePeriodSeconds")
        .as_u64()
        .unwrap();
    let drain: u64 = env_value(c, "PARATAG_DRAIN_DELAY").parse().unwrap();
    let shutdown: u64 = env_value(c, "PARATAG_SHUTDOWN_GRACE").parse().unwrap();
    assert!(
        grace > drain + shutdown,
        "pods get time to drain and finish in-flight work"
    );
}

fn env_value<'a>(container: &'a Value, name: &str) -> &'a str {
    container["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
        .unwrap()
}

#[test]
fn service_is_headless_and_the_rest_targets_the_deployment() {
    let deployment = &docs("deployment.yaml")[0];
    let labels = get(deployment, "spec.selector.matchLabels");
    let services = docs("service.yaml");
    let grpc = services
        .iter()
        .find(|s| s["metadata"]["name"] == "paratag")
        .unwrap();
    assert_eq!(
        s(grpc, "spec.clusterIP"),
        "None",
        "headless, for client-side balancing"
    );
    assert_eq!(get(grpc, "spec.selector"), labels);
    assert_eq!(get(grpc, "spec.ports.0.port").as_u64(), Some(50051));
    let pdb = &docs("pdb.yaml")[0];
    assert_eq!(get(pdb, "spec.selector.matchLabels"), labels);
    let hpa = &docs("hpa.yaml")[0];
    assert_eq!(s(hpa, "spec.scaleTargetRef.kind"), "Deployment");
    assert_eq!(
        s(hpa, "spec.scaleTargetRef.name"),
        s(deployment, "metadata.name")
    );
    assert!(get(hpa, "spec.minReplicas").as_u64() >= Some(2));
}

#[test]
fn dockerfile_is_multi_stage_and_runs_as_non_root() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile")).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("FROM ")).count(), 2);
    assert!(text.contains("USER nonroot"));
    assert!(text.contains("cargo build --release --locked"));
    assert!(text.contains("ENTRYPOINT [\"/usr/local/bin/paratag\", \"serve\"]"));
}
