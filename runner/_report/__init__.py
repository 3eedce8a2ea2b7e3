"""Study reports: the plots and the one-page HTML report of a study, rebuilt from its storage.

```
results/<study>/
  report.html      self-contained (images embedded, no script, opens offline)
  plots/           history, Pareto front and hypervolume (multi-objective), learning curves,
                   importance per objective, parallel coordinates, slices, timeline (PNG; SVG
                   for history, Pareto front and learning curves)
```

Example:
    >>> from runner import load_spec, open_study, write_exports  # doctest: +SKIP
    >>> from runner._report import render_report  # doctest: +SKIP
    >>> spec = load_spec("specs/quickstart.yaml")  # doctest: +SKIP
    >>> study = open_study(spec)  # doctest: +SKIP
    >>> render_report(spec, study, write_exports(spec, study)).name  # doctest: +SKIP
    'report.html'
"""

from runner._report._render import render_report

__all__ = ["render_report"]
