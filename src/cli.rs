//! The command-line front end: what each subcommand does and how it prints.

use crate::config::{
    BenchClientArgs, ClassifyArgs, Cli, Command, CorpusCheckArgs, CorpusCommand, EvalArgs,
    LearnerKind, LogFormat, RecipeOverrides, ServeArgs, TrainArgs,
};
use crate::corpus::{self, Example};
use crate::error::{Error, Result};
use crate::extract::{ExtractOptions, Gazetteer, extract};
use crate::model::metrics::Report;
use crate::model::recipe::{self, Recipe};
use crate::model::train::{self, Learner, TrainConfig, TrainMeta};
use crate::model::{Classification, Model, format};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    if !matches!(cli.command, Command::Serve(_)) {
        restore_sigpipe();
    }
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Train(args) => train_cmd(args),
        Command::Eval(args) => eval_cmd(args),
        Command::Classify(args) => classify_cmd(args),
        Command::Corpus(CorpusCommand::Check(args)) => corpus_check_cmd(args),
        Command::BenchClient(args) => bench_client_cmd(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("paratag: {e}");
            ExitCode::from(2)
        }
    }
}

/// Lets a command-line tool die quietly when its output pipe closes (`paratag eval | head`),
/// as Unix tools do, instead of panicking on a failed print. Not used by `serve`, whose
/// sockets rely on SIGPIPE being ignored.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: resetting a signal disposition to its default before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn init_tracing(filter: &str, format: LogFormat) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|e| Error::Data(format!("--log {filter:?} is not a valid filter: {e}")))?;
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|e| Error::Internal(format!("cannot install the logger: {e}")))
}

/// Loads a model file, or the embedded default model.
pub fn load_model(path: Option<&Path>) -> Result<Model> {
    match path {
        Some(p) => format::load(p),
        None => crate::model::default_model(),
    }
}

fn serve(args: ServeArgs) -> Result<()> {
    let settings = args.resolve().map_err(Error::Data)?;
    init_tracing(&settings.log, settings.log_format)?;
    // Debug output of the settings redacts tokens and keys.
    tracing::info!(?settings, "starting");
    let started = Instant::now();
    // Validate the model and gazetteer before binding: bad files never reach a listening port.
    let model = load_model(settings.serve.model_path.as_deref())?;
    let gazetteer = match &settings.gazetteer {
        Some(path) => Gazetteer::load(path)?,
        None => Gazetteer::default_gazetteer()?,
    };
    let load_seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        model = %model.meta().name,
        version = %model.version(),
        topics = model.topics().len(),
        terms = model.featurizer().len(),
        load_ms = (load_seconds * 1000.0) as u64,
        "model loaded"
    );
    if !gazetteer.ambiguous().is_empty() {
        tracing::warn!(
            phrases = ?gazetteer.ambiguous(),
            "gazetteer phrases claimed by two entries are ignored"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        // Signal handlers first: from the moment the port is open, SIGTERM and SIGHUP are ours.
        let shutdown = shutdown_signal();
        let reloads = reload_signal();
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|e| Error::Data(format!("cannot listen on {}: {e}", settings.listen)))?;
        let mut server = crate::service::Server::new(model, gazetteer, settings.serve.clone())
            .with_load_seconds(load_seconds)
            .with_reload_signal(reloads);
        if let Some(addr) = settings.metrics_listen {
            let metrics = crate::service::metrics::bind(addr)
                .await
                .map_err(|e| Error::Data(format!("cannot listen on {addr} for metrics: {e}")))?;
            tracing::info!(%addr, "metrics at /metrics");
            server = server.with_metrics(metrics);
        }
        server.run(listener, shutdown).await
    })
}

/// A channel that receives once per SIGHUP (reload the model).
///
/// The handler is installed before this returns, so a SIGHUP sent once the server has logged
/// "serving" is never lost (nor does it kill the process, SIGHUP's default action).
fn reload_signal() -> tokio::sync::mpsc::Receiver<()> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hup) => {
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        tracing::info!("received SIGHUP: reloading the model");
                        let _ = tx.try_send(());
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "cannot handle SIGHUP; reload by the Admin RPC"),
        }
    }
    #[cfg(not(unix))]
    drop(tx);
    rx
}

/// A future that completes on Ctrl-C (SIGINT) or SIGTERM.
///
/// The handlers are installed when this is called, not when the future is first polled, so a
/// signal that arrives while the server is still starting up is not lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let wait = |s: std::io::Result<tokio::signal::unix::Signal>| async move {
                match s {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(interrupt) => tracing::info!("received Ctrl-C"),
                _ = wait(terminate) => tracing::info!("received SIGTERM"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("received Ctrl-C");
        } else {
            std::future::pending::<()>().await;
        }
    }
}

/// The recipe (or defaults) with command-line overrides applied.
fn effective_config(recipe: &Recipe, o: &RecipeOverrides) -> Result<TrainConfig> {
    let mut cfg = recipe::train_config(recipe)?;
    let alpha = o.alpha.unwrap_or(cfg.learner.alpha());
    let max_iterations = o
        .max_iterations
        .or(cfg.learner.max_iterations())
        .unwrap_or(200);
    let kind = o.learner.unwrap_or(match cfg.learner {
        Learner::Logistic { .. } => LearnerKind::Logistic,
        Learner::OvrLogistic { .. } => LearnerKind::OvrLogistic,
        Learner::NaiveBayes { .. } => LearnerKind::NaiveBayes,
    });
    cfg.learner = match kind {
        LearnerKind::Logistic => Learner::Logistic {
            alpha,
            max_iterations,
        },
        LearnerKind::OvrLogistic => Learner::OvrLogistic {
            alpha,
            max_iterations,
        },
        LearnerKind::NaiveBayes => Learner::NaiveBayes { alpha },
    };
    let f = &mut cfg.features;
    f.ngrams = o.ngrams.unwrap_or(f.ngrams);
    f.min_df = o.min_df.unwrap_or(f.min_df);
    f.max_df = o.max_df.unwrap_or(f.max_df);
    f.max_features = o.max_features.unwrap_or(f.max_features);
    f.select = o.select.unwrap_or(f.select);
    f.sublinear_tf = o.sublinear_tf.unwrap_or(f.sublinear_tf);
    if let Some(name) = &o.stopwords {
        f.stopwords = recipe::stopwords_named(name)?;
    }
    cfg.none_class = o.none_class.unwrap_or(cfg.none_class);
    cfg.threshold_folds = o.threshold_folds.unwrap_or(cfg.threshold_folds);
    cfg.threshold_objective = o.threshold_objective.unwrap_or(cfg.threshold_objective);
    cfg.seed = o.seed.unwrap_or(cfg.seed);
    cfg.threads = o.threads.unwrap_or(cfg.threads);
    recipe::check(&cfg)?;
    Ok(cfg)
}

fn load_all(paths: &[PathBuf]) -> Result<(Vec<Example>, Vec<PathBuf>)> {
    let mut examples = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        files.extend(corpus::data_files(p)?);
        examples.extend(corpus::load(p)?);
    }
    Ok((examples, files))
}

/// Current time as RFC 3339 UTC (seconds precision).
pub fn rfc3339_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn train_cmd(args: TrainArgs) -> Result<()> {
    let recipe = match &args.recipe {
        Some(p) => Recipe::load(p)?,
        None => Recipe::default(),
    };
    let cfg = effective_config(&recipe, &args.overrides)?;
    let data = if args.data.is_empty() {
        recipe.data.clone()
    } else {
        args.data.clone()
    };
    if data.is_empty() {
        return Err(Error::Data(
            "no training data: pass --data FILE or a --recipe that lists data".into(),
        ));
    }
    let (examples, files) = load_all(&data)?;
    let name = args
        .name
        .clone()
        .or(recipe.name.clone())
        .unwrap_or_else(|| "paratag-custom".into());
    let fingerprint = recipe::fingerprint(&cfg, &name, &recipe.topics, &files)?;
    let meta = TrainMeta {
        name,
        trained_at: rfc3339_now(),
        fingerprint,
        descriptions: recipe.topics.clone(),
    };
    let topics = train::topics_of(&examples);
    for t in &topics {
        if !meta.descriptions.is_empty() && !meta.descriptions.contains_key(t) {
            eprintln!("warning: topic {t:?} has no description in the recipe");
        }
    }
    eprintln!(
        "training on {} paragraphs ({} topics) with {}",
        examples.len(),
        topics.len(),
        cfg.learner.describe()
    );
    let started = Instant::now();
    let mut model = train::train(&examples, &cfg, &meta)?;
    let train_secs = started.elapsed().as_secs_f64();
    let folds = if args.no_eval {
        0
    } else if args.eval_folds > 0 {
        args.eval_folds
    } else {
        recipe.eval_folds
    };
    if folds > 0 {
        eprintln!("cross-validating ({folds} folds)…");
        let report = train::cross_validate(&examples, &cfg, folds as usize)?;
        print_report(&report);
        let mut parts = model.to_parts();
        parts.meta.evaluation = Some(train::summary(
            &report,
            &format!("{folds}-fold cross-validation on the training corpus"),
        ));
        model = format::seal(parts)?;
    }
    format::save(&model, &args.out)?;
    println!(
        "wrote {} ({} topics, {} terms, version {}, fingerprint {}) in {:.1} s (training {:.1} s)",
        args.out.display(),
        model.topics().len(),
        model.featurizer().len(),
        model.version(),
        model.meta().fingerprint,
        started.elapsed().as_secs_f64(),
        train_secs
    );
    for (t, th) in model.topics().iter().zip(model.thresholds()) {
        println!("  {t:<24} threshold {th:.2}");
    }
    Ok(())
}

fn print_report(r: &Report) {
    println!("paragraphs: {}", r.n);
    println!("accuracy:   {:.4}", r.accuracy);
    println!("macro-F1:   {:.4}", r.macro_f1);
    if let Some(none) = r.none_unlabelled {
        println!("off-topic left unlabelled: {none:.4}");
    }
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>8} {:>9}",
        "class", "precision", "recall", "F1", "support", "top-1"
    );
    for c in &r.classes {
        let top1 = r.class_accuracy.iter().find(|a| a.name == c.class);
        println!(
            "{:<24} {:>9.3} {:>9.3} {:>9.3} {:>8} {:>9}",
            c.class,
            c.precision,
            c.recall,
            c.f1,
            c.support,
            top1.map_or("-".into(), |a| format!("{:.3}", a.accuracy))
        );
    }
    if !r.groups.is_empty() {
        println!("{:<48} {:>6} {:>9}", "source or register", "n", "top-1");
        for g in &r.groups {
            println!("{:<48} {:>6} {:>9.3}", g.name, g.n, g.accuracy);
        }
    }
    print_confusion(r);
    if !r.confusions.is_empty() {
        println!("most frequent top-1 confusions (true -> predicted):");
        for (t, p, n) in r.confusions.iter().take(10) {
            println!("  {t} -> {p}: {n}");
        }
    }
}

/// The confusion table, rows the first true label, columns the first prediction, each class
/// shown by its first four letters.
fn print_confusion(r: &Report) {
    if r.confusion_classes.is_empty() {
        return;
    }
    let short = |c: &str| c.chars().take(4).collect::<String>();
    print!("confusion (rows: truth, columns: prediction)\n{:<24}", "");
    for c in &r.confusion_classes {
        print!(" {:>5}", short(c));
    }
    println!();
    for (c, row) in r.confusion_classes.iter().zip(&r.confusion) {
        print!("{c:<24}");
        for n in row {
            print!(" {n:>5}");
        }
        println!();
    }
}

fn eval_cmd(args: EvalArgs) -> Result<()> {
    let recipe = match &args.recipe {
        Some(p) => Recipe::load(p)?,
        None => Recipe::default(),
    };
    let cfg = effective_config(&recipe, &args.overrides)?;
    let started = Instant::now();
    let (model, method) = match (&args.model, &args.train, args.test.is_empty()) {
        (Some(path), None, false) => (format::load(path)?, format!("model {}", path.display())),
        (None, Some(train_path), false) => {
            let train_set = train_subset(corpus::load(train_path)?, args.train_fraction, &cfg)?;
            let method = format!(
                "trained on {} ({} paragraphs); {}",
                train_path.display(),
                train_set.len(),
                cfg.learner.describe()
            );
            (
                train::train(&train_set, &cfg, &TrainMeta::default())?,
                method,
            )
        }
        (None, None, true) if !args.data.is_empty() => {
            let (examples, _) = load_all(&args.data)?;
            let report = train::cross_validate(&examples, &cfg, args.folds as usize)?;
            let method = format!(
                "{}-fold cross-validation; {}",
                args.folds,
                cfg.learner.describe()
            );
            return finish_eval(&args, &cfg, &method, &report, started);
        }
        _ => {
            return Err(Error::Data(
                "use --data FILE [--folds K], --train FILE --test FILE, or --model FILE --test FILE"
                    .into(),
            ));
        }
    };
    if let Some(path) = &args.predictions {
        // Truncate once; each test set appends its lines.
        std::fs::write(path, "").map_err(|e| Error::io(path, e))?;
    }
    for test_path in &args.test {
        let test = corpus::load(test_path)?;
        if let Some(path) = &args.predictions {
            write_predictions(&model, &test, path)?;
        }
        let report = train::evaluate(&model, &test);
        let method = format!("{method}; tested on {}", test_path.display());
        finish_eval(&args, &cfg, &method, &report, started)?;
    }
    Ok(())
}

/// `--train-fraction`: 20 stratified slices of the training data, of which the first
/// `fraction` are kept.
fn train_subset(
    mut train_set: Vec<Example>,
    fraction: f64,
    cfg: &TrainConfig,
) -> Result<Vec<Example>> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(Error::Data("--train-fraction must be in (0, 1]".into()));
    }
    if fraction < 1.0 {
        let slices = train::folds(&train_set, 20, cfg.seed);
        let keep = (fraction * 20.0).round().max(1.0) as usize;
        let mut i = 0;
        train_set.retain(|_| {
            i += 1;
            slices[i - 1] < keep
        });
    }
    Ok(train_set)
}

/// Appends one JSON line per paragraph of `test` to `path`: where it came from, its labels,
/// the model's labels and its scores.
fn write_predictions(model: &Model, test: &[Example], path: &Path) -> Result<()> {
    use std::io::Write;
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let mut out = std::io::BufWriter::new(file);
    for e in test {
        let c = model.classify(&e.text, 0);
        let scores: serde_json::Map<String, serde_json::Value> = c
            .ranked()
            .into_iter()
            .map(|t| (model.topics()[t].clone(), serde_json::json!(c.scores[t])))
            .collect();
        let line = serde_json::json!({
            "origin": e.origin,
            "group": e.group(),
            "topics": e.topics,
            "labels": model.label_names(&c),
            "none_score": c.none_score,
            "scores": scores,
        });
        writeln!(out, "{line}").map_err(|err| Error::io(path, err))?;
    }
    out.flush().map_err(|err| Error::io(path, err))
}

/// Prints one evaluation (and its JSON line with `--json`).
fn finish_eval(
    args: &EvalArgs,
    cfg: &TrainConfig,
    method: &str,
    report: &Report,
    started: Instant,
) -> Result<()> {
    let seconds = started.elapsed().as_secs_f64();
    println!("{method}");
    print_report(report);
    println!("time: {seconds:.1} s");
    if args.json {
        let json = serde_json::json!({
            "method": method,
            "accuracy": report.accuracy,
            "macro_f1": report.macro_f1,
            "n": report.n,
            "classes": report.classes,
            "class_accuracy": report.class_accuracy,
            "none_unlabelled": report.none_unlabelled,
            "confusion_classes": report.confusion_classes,
            "confusion": report.confusion,
            "confusions": report.confusions,
            "groups": report.groups,
            "seconds": seconds,
            "config": cfg,
        });
        println!("{json}");
    }
    Ok(())
}

fn classify_cmd(args: ClassifyArgs) -> Result<()> {
    let model = load_model(args.model.as_deref())?;
    let mut input = String::new();
    if args.input == "-" {
        std::io::stdin()
            .read_to_string(&mut input)
            .map_err(|e| Error::io("standard input", e))?;
    } else {
        input = std::fs::read_to_string(&args.input).map_err(|e| Error::io(&args.input, e))?;
    }
    if input.trim().is_empty() {
        return Err(Error::Data("the input holds no text".into()));
    }
    let evidence = if args.explain { 5 } else { 0 };
    let items: Vec<(usize, usize, Classification)> = if args.whole {
        // The span covers the text, not the whitespace around it, as Extract's passages do.
        let start = input.len() - input.trim_start().len();
        let end = input.trim_end().len();
        vec![(start, end, model.classify(&input, evidence))]
    } else {
        extract(
            &model,
            &Gazetteer::default_gazetteer()?,
            &input,
            &ExtractOptions::default(),
        )
        .passages
        .into_iter()
        .map(|p| {
            let c = if evidence > 0 {
                model.classify(&input[p.span.start..p.span.end], evidence)
            } else {
                p.classification
            };
            (p.span.start, p.span.end, c)
        })
        .collect()
    };
    if args.json {
        let passages: Vec<serde_json::Value> = items
            .iter()
            .enumerate()
            .map(|(i, (b, e, c))| {
                serde_json::json!({
                    "index": i,
                    "text": &input[*b..*e],
                    "span": {"begin": b, "end": e},
                    "labels": model.label_names(c),
                    "topics": c.ranked().iter().map(|&t| serde_json::json!({
                        "topic": model.topics()[t],
                        "score": c.scores[t],
                        "threshold": model.thresholds()[t],
                        "evidence": c.evidence.get(t).map(|ev| ev.iter().map(|e| serde_json::json!({
                            "term": e.term, "weight": e.weight, "count": e.count
                        })).collect::<Vec<_>>()).unwrap_or_default(),
                    })).collect::<Vec<_>>(),
                    "noneScore": c.none_score,
                })
            })
            .collect();
        // The field names and shape of Extract's answer in gRPC's JSON mapping (as grpcurl
        // prints it), so scripts read the command's output and the service's alike.
        let out = serde_json::json!({
            "totalPassages": passages.len(),
            "modelVersion": model.version(),
            "encoding": "ENCODING_UTF8",
            "passages": passages,
        });
        println!("{out}");
        return Ok(());
    }
    println!("model {} ({})", model.meta().name, model.version());
    println!("{:>3}  {:<13} {:<40} text", "#", "bytes", "labels");
    for (i, (b, e, c)) in items.iter().enumerate() {
        let labels = if c.labels.is_empty() {
            format!("(none {:.2})", c.none_score)
        } else {
            c.labels
                .iter()
                .map(|&t| format!("{} {:.2}", model.topics()[t], c.scores[t]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text: String = input[*b..*e].chars().take(60).collect();
        let text = text.replace(['\n', '\r'], " ");
        println!("{i:>3}  {:<13} {labels:<40} {text}", format!("{b}..{e}"));
        if args.explain {
            for &t in &c.labels {
                let terms: Vec<String> = c.evidence[t]
                    .iter()
                    .map(|e| format!("{} ({:+.2})", e.term, e.weight))
                    .collect();
                println!("       {}: {}", model.topics()[t], terms.join(", "));
            }
        }
    }
    Ok(())
}

fn bench_client_cmd(args: BenchClientArgs) -> Result<()> {
    let texts: Vec<String> = match &args.input {
        Some(path) => corpus::load(path)?.into_iter().map(|e| e.text).collect(),
        None if Path::new("data/corpus").is_dir() => corpus::load(Path::new("data/corpus"))?
            .into_iter()
            .map(|e| e.text)
            .collect(),
        None => crate::service::sample_texts()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let secs = |name: &str, v: f64| {
        if v.is_finite() && v >= 0.0 {
            Ok(std::time::Duration::from_secs_f64(v))
        } else {
            Err(Error::Data(format!("--{name} must be a number of seconds")))
        }
    };
    let config = crate::loadgen::LoadConfig {
        target: args.target.clone(),
        workload: args.workload,
        connections: args.connections,
        in_flight: args.in_flight,
        duration: secs("duration", args.duration)?,
        warmup: secs("warmup", args.warmup)?,
        requests: args.requests,
        batch_size: args.batch_size,
        document_words: args.document_words,
        texts,
        ca_pem: match &args.ca_cert {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| Error::Data(format!("--ca-cert {}: {e}", path.display())))?,
            ),
            None => None,
        },
        token: args.token.clone(),
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if args.threads > 0 {
        builder.worker_threads(args.threads);
    }
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the runtime: {e}")))?;
    let report = runtime.block_on(crate::loadgen::run(config))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| Error::Internal(e.to_string()))?
        );
    } else {
        crate::loadgen::print(&report);
    }
    Ok(())
}

fn corpus_check_cmd(args: CorpusCheckArgs) -> Result<()> {
    use crate::corpus::check::{Targets, check};
    let card = corpus::taxonomy::Taxonomy::load(&args.card)?;
    let examples = corpus::load(&args.corpus)?;
    let dev = corpus::load(&args.dev)?;
    let targets = Targets {
        near_duplicate: args.near_duplicate,
        ..Targets::default()
    };
    let report = check(&card, &examples, &dev, &targets);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Error::Internal(e.to_string()))?
        );
    } else {
        for line in &report.summary {
            println!("{line}");
        }
        for f in &report.failures {
            println!("FAIL {f}");
        }
    }
    if report.passed() {
        println!("corpus check passed");
        Ok(())
    } else {
        Err(Error::Data(format!(
            "corpus check failed with {} problem(s)",
            report.failures.len()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_now_is_well_formed() {
        let s = rfc3339_now();
        assert_eq!(s.len(), 20, "{s}");
        assert!(s.starts_with("20") && s.ends_with('Z') && &s[10..11] == "T");
    }
}
