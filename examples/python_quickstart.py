#!/usr/bin/python3
"""The main job from Python: load, report, train, assess, segment.

Run from the repository root after building the library:

    PYTHONPATH=python CHURNKIT_LIBRARY=build/default/libchurnkit.so \
        /usr/bin/python3 examples/python_quickstart.py

It validates the example CRM export, then generates a synthetic history
(2,000 customers) into a temporary directory and runs the main job on it:
train the churn model on a training panel, assess every customer with it,
segment them by value and risk, and report the churn.  Each step is one
library call; every table comes back as a pandas DataFrame.
"""

from __future__ import annotations

import pathlib
import tempfile

import churnkit as ck

EXAMPLES = pathlib.Path(__file__).resolve().parent / "data"


def main() -> None:
    print(f"churnkit {ck.__version__} over library {ck.library_version()}")

    # 1. Load and validate a CRM export (bad rows are skipped and listed).
    export = ck.load(EXAMPLES)
    errors = export.error_report()
    print(f"\n{EXAMPLES.name}: {export.num_customers} customers, "
          f"{export.num_events} events, {errors.total_errors} bad rows:")
    print(errors.errors[["row", "field", "reason"]].to_string(index=False))

    with tempfile.TemporaryDirectory() as tmp:
        # 2. A synthetic history with known churn (docs/generator.md).
        ds = ck.load(ck.generate(pathlib.Path(tmp) / "crm", customers=2000,
                                 seed=42))
        print(f"\ngenerated: {ds}")

        # 3. Train on a panel of quarterly dates, the last one held out.
        dates = ["2024-07-01", "2024-10-01", "2025-01-01", "2025-04-01",
                 "2025-07-01", "2025-10-01"]
        trained = ck.train(ds, dates, horizon_days=90,
                           panel_label="PANEL_LABEL_CHURNED_AT_END")
        fig = trained.figures()
        print(f"\ntrained on {fig['train_rows']:,} rows; held-out ROC-AUC "
              f"{fig['held_out_roc_auc']:.4f} on {fig['test_rows']:,} rows")
        print(trained.factors.head(5).to_string(index=False))

        # 4. Assess every customer with the model: health, alerts, tasks.
        assessed = ck.assess(ds, "2026-01-01", model=trained.model)
        s = assessed.summary
        print(f"\nassessed {s['customers']} customers ({s['churned']} "
              f"already churned): {s['alerts']} alerts, {s['tasks']} tasks, "
              f"colours {s['colours']}")
        print(assessed.at_risk[["customer_id", "score", "colour",
                                "churn_probability"]].head(5)
              .to_string(index=False))

        # 5. Value x risk segments and the customers to save first.
        seg = ck.segment(ds, "2026-01-01", model=trained.model)
        print("\nvalue x risk:")
        print(seg.quadrants.to_string(index=False))

        # 6. The churn report of 2025, by tier, with the monthly trend.
        rep = ck.report(ds, period=("2025-01-01", "2026-01-01"),
                        breakdowns=["tier"], trend=True)
        o = rep.overall
        print(f"\n2025: {o['customers_at_start']} customers at start, "
              f"{o['churned']} churned ({o['churn_rate']:.1f}%), revenue "
              f"lost {o['revenue_lost']:,.0f}")
        print(rep.breakdowns[["value", "customers_at_start", "churned",
                              "churn_rate"]].to_string(index=False))

        # 7. Features as a DataFrame over library memory, scored in place.
        x = ck.FeatureSet().compute(ds, "2026-01-01").to_frame()
        scores = trained.model.predict(x)
        print(f"\nfeatures {x.shape[0]} x {x.shape[1]}; mean churn "
              f"probability {scores.mean():.3f}")


if __name__ == "__main__":
    main()
