"""`dlpipe`: the lab's command line (predict-face, recommend, forecast, classify, sample, crawl,
tune, params, stages).

This module only parses arguments, calls a function that returns a value, and prints it. Heavy
libraries (torch, OpenCV, Scrapy) are imported inside the subcommand that needs them, so
`dlpipe --help` and `dlpipe params check` start quickly.

The model commands (predict-face, recommend, forecast, classify, sample) load the family's
registered MLflow model (`models:/dlpipe-<family>/latest`, or `--version N`) from the project's
tracking store; predict-face, forecast and classify also take a model file or folder
(`--model PATH`), sample a checkpoint (`--checkpoint PATH`).

Exit status: 0 success; 1 a documented negative result (no usable face in the photo, errors in
a params file); 2 a usage error or something missing (a model not trained yet, a file that does
not exist), with a one-line `error: ...` on stderr that says what to do.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dlpipe import redact
from dlpipe.errors import InputError
from dlpipe.serving.errors import ServingError, require_file

log = logging.getLogger("dlpipe.cli")

EXIT_NEGATIVE = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # as a shell reports a command killed by SIGPIPE
PHOTO = "an image file (JPEG, PNG, ...)"
STORED_PER_USER = 50  # dlpipe.serving.recommendations.STORED_PER_USER (not imported: pandas)

Handler = Callable[[argparse.Namespace], int]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _recommend_count(text: str) -> int:
    value = _positive(text)
    if value > STORED_PER_USER:
        raise argparse.ArgumentTypeError(
            f"at most {STORED_PER_USER} (the stage stores that many per user), got {value}"
        )
    return value


# --- subcommands ------------------------------------------------------------------------------


def cmd_predict_face(args: argparse.Namespace) -> int:
    if args.model is not None and args.model.is_dir():
        from dlpipe.serving.face_embedding import EmbeddingFaceClassifier

        require_file(args.photo, PHOTO)
        result = EmbeddingFaceClassifier.load(args.model).predict(args.photo)
    elif args.model is not None:
        from dlpipe.serving.face import predict_face

        result = predict_face(args.photo, args.model)
    else:
        from dlpipe.paths import project_root
        from dlpipe.serving.registry import load_face_classifier

        require_file(args.photo, PHOTO)  # before loading the model: that takes seconds
        result = load_face_classifier(project_root(), args.version).predict(args.photo)
    if not result.found:
        advice = "; try a frontal, well-lit photo" if result.readable else ""
        print(f"{args.photo}: no usable face ({result.reason}){advice}")
        return EXIT_NEGATIVE
    x, y, w, h = result.box or (0, 0, 0, 0)
    best, score = result.ranked[0]
    where = f"face box x={x} y={y} w={w} h={h}"
    if result.unknown:
        print(
            f"{args.photo}: unknown (distance {result.distance:.3f} > threshold "
            f"{result.threshold:.3f}; nearest person {best}); {where}"
        )
    else:
        distance = (
            f", distance {result.distance:.3f} <= {result.threshold:.3f}"
            if result.distance is not None and result.threshold is not None
            else ""
        )
        print(f"{args.photo}: {best} ({result.score_name} {score:.3f}{distance}); {where}")
    if result.notes:
        print(f"  note: {result.notes}")
    for name, p in result.ranked[1 : args.top]:
        print(f"  then {name} ({p:.3f})")
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from dlpipe.paths import project_root
    from dlpipe.serving.registry import load_recommender

    recommender = load_recommender(project_root(), args.version)
    try:
        result = recommender.recommend(args.user, args.n)
    except KeyError as exc:
        raise ServingError(str(exc.args[0])) from None
    print(f"Top {len(result.movies)} unseen movies for user {result.user} ({result.model}):")
    for rank, (item, title, score) in enumerate(result.movies, start=1):
        print(f"{rank:2d}. {title}  [movie {item}, predicted {score:.2f}]")
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    from dlpipe.paths import project_root
    from dlpipe.serving.forecast import next_day_forecast, read_prices

    if args.csv is not None:
        read_prices(args.csv, project_root())  # a bad file is reported before the model loads
    model = None
    if args.model is None:
        from dlpipe.serving.registry import load_stock_model

        model = load_stock_model(project_root(), args.version)
    day = next_day_forecast(args.model, args.csv, model=model)
    change = day.forecast - day.last_price
    print(
        f"{day.series}: last day {day.last_day:%Y-%m-%d} {day.column} {day.last_price:.2f}; "
        f"next trading day forecast {day.forecast:.2f} ({change:+.2f}; "
        f"persistence {day.persistence:.2f})"
    )
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from dlpipe.serving.classifier import classify_rows, load_model_folder, read_rows

    if args.model is not None:
        model = load_model_folder(args.model)
    else:
        from dlpipe.paths import project_root
        from dlpipe.serving.registry import load_table_classifier

        read_rows(args.csv)  # a bad file is reported before the model loads
        model = load_table_classifier(project_root(), args.version)
    scored = classify_rows(model, args.csv)
    text = scored.to_csv(index=False, float_format="%.6f")
    if args.out is None:
        print(text, end="")
    else:
        from dlpipe.atomic import write_text

        write_text(args.out, text)
        positives = int((scored["label"] == model.card.positive_label).sum())
        print(
            f"{args.out}: {len(scored)} rows scored, {positives} {model.card.positive_label} at "
            f"threshold {model.card.threshold:.3f} ({model.card.model})"
        )
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from dlpipe.serving.sampling import write_samples

    out = args.out or Path(f"samples_{args.model}.png")
    if args.checkpoint is not None:
        from dlpipe.serving.sampling import load_sampler

        sampler = load_sampler(args.model, args.checkpoint)
    else:
        from dlpipe.paths import project_root
        from dlpipe.serving.registry import load_image_sampler

        sampler = load_image_sampler(project_root(), args.model, args.version)
    write_samples(sampler, args.n, args.seed, out)
    print(f"{out}: {args.n} new images from the {args.model.upper()} (seed {args.seed})")
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    from dlpipe.config import ConfigError
    from dlpipe.crawling.run import crawl_with_params

    level = {0: "WARNING", 1: "INFO"}.get(args.verbose, "DEBUG")
    if args.params is not None:
        require_file(args.params, "the path of a params file (params.yaml)")
    try:
        result = crawl_with_params(args.out_dir, params_path=args.params, log_level=level)
    except ConfigError as exc:
        lines = str(exc).splitlines() or [""]
        more = f" and {len(lines) - 1} more" if len(lines) > 1 else ""
        raise ServingError(f"{lines[0]}{more} (`dlpipe params check` lists them)") from exc
    print(json.dumps({"skipped": result.skipped, "stats": result.stats}, indent=2))
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from dlpipe.config import load_params
    from dlpipe.paths import project_root

    root = project_root()
    families = load_params(root / "params.yaml").tuning.families
    if args.family not in families:
        known = ", ".join(families)
        raise ServingError(
            f"no tuning for {args.family!r} in params.yaml (tuning.families: {known})"
        )
    from dlpipe.tuning.workers import tune_command

    summary = tune_command(root, args.family, args.workers, args.trials)
    counts = summary.counts
    print(
        f"{summary.family}: study {summary.name}: {counts['complete']} complete, "
        f"{counts['pruned']} pruned, {counts['fail']} failed of {summary.target}"
    )
    metric = f"val/{summary.metric}"
    if summary.defaults is not None and summary.defaults.value is not None:
        print(
            f"  defaults (trial {summary.defaults.number}): {metric} {summary.defaults.value:.5g}"
        )
    if summary.best is not None:
        print(f"  best (trial {summary.best.number}): {metric} {summary.best.value:.5g}")
        for key, value in summary.best.params.items():
            print(f"    {key}: {value}")
    if not summary.tuned_is_better:
        print("  nothing beat the defaults on validation: keep them")
    return 0


def cmd_params_check(args: argparse.Namespace) -> int:
    from dlpipe.serving.errors import shown
    from dlpipe.serving.params import check_params, default_params_path

    path = args.file or default_params_path()
    errors = check_params(path)
    name = shown(path, Path.cwd())
    if errors:
        for error in errors:
            print(error)
        noun = "error" if len(errors) == 1 else "errors"
        print(f"{name}: {len(errors)} {noun}; fix them in the file", file=sys.stderr)
        return EXIT_NEGATIVE
    print(f"{name}: OK")
    return 0


def cmd_params_show(args: argparse.Namespace) -> int:
    from dlpipe.serving.params import default_params_path, resolved_params

    print(resolved_params(args.file or default_params_path()), end="")
    return 0


def cmd_stages(args: argparse.Namespace) -> int:
    from dlpipe.paths import project_root
    from dlpipe.serving.stages import list_stages, stage_table

    print(stage_table(list_stages(project_root())))
    return 0


# --- the parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    verbosity = argparse.ArgumentParser(add_help=False)
    # SUPPRESS (and no set_defaults for it: the action is shared by every parser): a `-v` after
    # the subcommand must not reset one given before it.
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="say on stderr what is read and done (-vv: debug)",
    )
    parser = argparse.ArgumentParser(
        prog="dlpipe",
        description="The dlpipe lab's commands: use the models `make repro` trained, and "
        "inspect the pipeline.",
        epilog="Exit status: 0 ok; 1 no usable face / params errors; 2 usage error or "
        "something missing (the message says what to run).",
        parents=[verbosity],
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def add(name: str, help_line: str, handler: Handler, **kwargs) -> argparse.ArgumentParser:
        command = sub.add_parser(
            name, help=help_line, description=help_line, parents=[verbosity], **kwargs
        )
        command.set_defaults(handler=handler)
        return command

    face = add(
        "predict-face",
        "who the face model sees in a photo, or unknown (exit 1: no usable face)",
        cmd_predict_face,
    )
    face.add_argument("photo", type=Path, metavar="PHOTO", help="an image file (JPEG, PNG, ...)")
    face.add_argument(
        "--top", type=_positive, default=3, metavar="N", help="how many people to list (3)"
    )
    _model_source(face, "models/face_embedding or models/face_cnn/model.pt", "faces")

    rec = add(
        "recommend",
        "unseen movies the best autoencoder suggests for a MovieLens user",
        cmd_recommend,
    )
    rec.add_argument("user", type=int, metavar="USER", help="a MovieLens user id")
    rec.add_argument(
        "-n",
        type=_recommend_count,
        default=10,
        metavar="N",
        help=f"how many movies (10; at most {STORED_PER_USER})",
    )
    _model_source(rec, None, "recommender")

    fc = add(
        "forecast",
        "the next trading day's price from the saved stock LSTM, next to persistence",
        cmd_forecast,
    )
    fc.add_argument(
        "--csv",
        type=Path,
        default=None,
        metavar="FILE",
        help="daily prices as fetch_stock_prices writes them (default: data/raw/stock_prices.csv)",
    )
    _model_source(fc, "models/stock_lstm/model.pt", "stock_lstm")

    cls = add(
        "classify",
        "score a CSV's rows with the evaluation chapter's chosen classifier (probability, label)",
        cmd_classify,
    )
    cls.add_argument(
        "csv", type=Path, metavar="FILE", help="a CSV with the training table's feature columns"
    )
    cls.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the scores here (default: stdout)",
    )
    _model_source(cls, "models/classifier", "classifiers")

    smp = add(
        "sample",
        "a grid of new images from the trained VAE or GAN, as a PNG",
        cmd_sample,
    )
    smp.add_argument(
        "--model", choices=("vae", "gan"), required=True, help="which generative model"
    )
    smp.add_argument(
        "-n", type=_positive, default=64, metavar="N", help="how many images (64; at most 1024)"
    )
    smp.add_argument(
        "--seed", type=int, default=0, metavar="S", help="the same seed, the same images"
    )
    smp.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="default: samples_<model>.png"
    )
    source = smp.add_mutually_exclusive_group()
    source.add_argument(
        "--version",
        type=_positive,
        default=None,
        metavar="N",
        help="version N of the registered model dlpipe-vae / dlpipe-gan (default: the latest)",
    )
    source.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        metavar="PATH",
        help="a checkpoint instead of the registry's model (e.g. models/vae/best.ckpt)",
    )

    crawl = add(
        "crawl",
        "one face crawl with params.yaml's face_crawl settings; prints its stats as JSON",
        cmd_crawl,
    )
    crawl.add_argument(
        "out_dir", type=Path, metavar="OUT_DIR", help="where images/ and the files go"
    )
    crawl.add_argument(
        "--params", type=Path, default=None, metavar="FILE", help="default: params.yaml"
    )

    tune = add(
        "tune",
        "run a family's Optuna study (its missing trials) in N processes sharing the trials",
        cmd_tune,
    )
    tune.add_argument("family", metavar="FAMILY", help="a family of params' tuning.families")
    tune.add_argument(
        "--workers", type=_positive, default=1, metavar="N", help="worker processes (1)"
    )
    tune.add_argument(
        "--trials",
        type=_positive,
        default=None,
        metavar="T",
        help="trials the study should hold in all (default: params' tuning count)",
    )

    params = add("params", "check or show a params file", _params_usage)
    params_sub = params.add_subparsers(title="commands", metavar="COMMAND")
    for name, help_line, handler in (
        ("check", "report every error in a params file, by dotted key (exit 1)", cmd_params_check),
        ("show", "print the params file resolved, as YAML", cmd_params_show),
    ):
        command = params_sub.add_parser(
            name, help=help_line, description=help_line, parents=[verbosity]
        )
        command.add_argument(
            "file", type=Path, nargs="?", default=None, metavar="FILE", help="default: params.yaml"
        )
        command.set_defaults(handler=handler)
    params.set_defaults(params_parser=params)

    add("stages", "each DVC stage, its family and what it writes", cmd_stages)
    parser.set_defaults(handler=None)
    return parser


def _model_source(command: argparse.ArgumentParser, example: str | None, family: str) -> None:
    """`--version N` of the registered model `dlpipe-<family>` (default: its latest), or, where
    a model file exists, `--model PATH` to use that file instead of the registry."""
    source = command.add_mutually_exclusive_group()
    source.add_argument(
        "--version",
        type=_positive,
        default=None,
        metavar="N",
        help=f"version N of the registered model dlpipe-{family} (default: the latest)",
    )
    if example is not None:
        source.add_argument(
            "--model",
            type=Path,
            default=None,
            metavar="PATH",
            help=f"a model file instead of the registry's model (e.g. {example})",
        )


def _params_usage(args: argparse.Namespace) -> int:
    args.params_parser.print_help(sys.stderr)
    return EXIT_USAGE


def _one_line(exc: Exception) -> str:
    """The message on one line: a library's multi-line text (torch's) must not read as two."""
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def configure_logging(verbose: int) -> None:
    """Warnings only by default; -v: progress (dlpipe's and the libraries'); -vv: debug."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler = logging.StreamHandler()
    # On the handler too: libraries that set their own loggers' levels (Scrapy: DEBUG) pass the
    # root's level by.
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    redact.install([handler])  # a tracking URI's password stays out of logs and tracebacks


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.verbose = getattr(args, "verbose", 0)
    configure_logging(args.verbose)
    if args.handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    log.debug("arguments: %s", vars(args))
    try:
        code = args.handler(args)
        sys.stdout.flush()
        return code
    except (ServingError, InputError) as exc:
        print(f"error: {redact.redact(_one_line(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`dlpipe stages | head`): nothing to report. Point stdout at
        # /dev/null so that the interpreter's last flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
