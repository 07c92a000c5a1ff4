"""``eli5-compat explain ... --ray [ADDRESS]``: the command line over :func:`explain_dataset`."""
from __future__ import annotations

import sys
from typing import Any

from .._explain_files import ExplainOptions, count_explained, report_errors


def run_ray(args: Any) -> int:
    """Run the explain command on Ray; exit code 0 all explained, 1 some images failed, 2 no model, no Ray or no cluster."""
    from .dataset import run_dataset

    try:
        result = run_dataset(args.model, args.images, args.out, ExplainOptions.from_args(args),
                             address=args.ray or None, num_workers=args.workers or 2, cpus_per_worker=1,
                             resume=args.resume)
    except (ValueError, FileNotFoundError, KeyError, ImportError) as exc:
        print("eli5-compat explain: ERROR: {}".format(exc), file=sys.stderr)
        return 2
    except ConnectionError as exc:  # ray.init could not join the cluster
        print("eli5-compat explain: ERROR: cannot join the Ray cluster at {!r} ({}); check the address, or "
              "drop it to run on a local Ray".format(args.ray, exc), file=sys.stderr)
        return 2
    failed = report_errors(result.rows)
    print("explained {} image(s) ({} already done), {} failed; overlays, results.json/results.csv/results.parquet "
          "in {}".format(count_explained(result.rows), result.skipped, failed, args.out))
    return 1 if failed else 0
