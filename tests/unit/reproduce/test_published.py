"""``kernsim.reproduce.published``: the published values' CSVs, one per study."""

from __future__ import annotations

import pytest
from experiment_files import ROOT

from kernsim.reproduce import STUDIES, published, tolerances

TAGS = set(tolerances.TOLERANCES) | set(tolerances.NOT_JUDGED)   # every tag has a rule


@pytest.mark.parametrize("study", STUDIES)
def test_published_csv_is_well_formed(study):
    df = published.load(study)
    has = df["value"].notna()
    assert set(df.loc[has, "tag"]) <= TAGS, study
    missing = df[~has]
    assert all("missing" in str(n) for n in missing["note"]), missing
    assert (df["role"] == "calibration").any() and (df["role"] == "prediction").any()
    assert df[["authors", "title", "venue", "year"]].notna().all().all()


def test_every_study_has_its_file_and_csv():
    for study in STUDIES:
        assert (ROOT / "experiments" / "reproduce" / f"{study}.toml").is_file()
        assert published.csv_path(study).is_file()
