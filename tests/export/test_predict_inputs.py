"""The files people have: junk beside the images, unreadable and 16-bit images, mixed sizes (issue 14)."""

import csv
import json
import shutil

import numpy as np
from PIL import Image


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_predict_dir_skips_system_files_and_names_unreadable_images(pvdefects_cli, tiny_run, cells, tmp_path):
    folder = tmp_path / "shared-drive"
    folder.mkdir()
    for name in ("cell00.png", "cell01.png"):
        shutil.copy(cells.parent / name, folder / name)
    pixels = np.asarray(Image.open(cells.parent / "cell02.png"), np.uint16)
    Image.fromarray(pixels * 257).save(folder / "cell02-16bit.tif")  # 16-bit: 255 * 257 = 65535
    shutil.copy(cells.parent / "cell02.png", folder / "cell02.png")
    (folder / "._cell00.png").write_bytes(b"\x00\x05\x16\x07AppleDouble resource fork")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / ".hidden.png").write_bytes(b"junk")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\ntruncated")

    status, out, err = pvdefects_cli("predict", tiny_run.export, "--dir", folder, "--out", tmp_path / "p.csv")
    assert status == 0, err
    warning_lines = [line for line in err.splitlines() if line.strip()]
    assert len(warning_lines) == 1 and warning_lines[0].startswith("warning: skipped 1 unreadable image: ")
    assert "broken.png: unreadable or corrupt image" in warning_lines[0]
    rows = read_rows(tmp_path / "p.csv")
    assert [row[0] for row in rows[1:]] == ["cell00.png", "cell01.png", "cell02-16bit.tif", "cell02.png"]
    assert rows[3][1:] == rows[4][1:]  # the 16-bit copy scores as its 8-bit original
    assert "wrote" in out and "4 images" in out

    status, _, err = pvdefects_cli(
        "predict", tiny_run.export, "--dir", folder, "--out", tmp_path / "q.csv", "--strict"
    )
    assert status == 2 and "broken.png: unreadable or corrupt image" in err
    assert not (tmp_path / "q.csv").exists()


def test_evaluate_scores_each_cell_at_its_own_size_whatever_the_row_order(
    pvdefects_cli, tiny_run, cells, tmp_path
):
    """A 32x32 copy of a cell among 48 px cells: first or last, the metrics are the same."""
    folder = tmp_path / "mixed"
    shutil.copytree(cells.parent, folder)
    Image.open(folder / "cell05.png").resize((32, 32), Image.Resampling.BILINEAR).save(folder / "small.png")
    rows = (folder / "labels.csv").read_text().splitlines()
    header, body = rows[0], [row for row in rows[1:] if not row.startswith("cell05.png")]
    small = "small.png;" + next(row for row in rows if row.startswith("cell05.png")).split(";", 1)[1]
    (folder / "first.csv").write_text("\n".join([header, small, *body]) + "\n")
    (folder / "last.csv").write_text("\n".join([header, *reversed(body), small]) + "\n")

    reports = []
    for labels in ("first.csv", "last.csv"):
        out = tmp_path / f"{labels}.json"
        status, _, err = pvdefects_cli("evaluate", tiny_run.export, "--labels", folder / labels, "--out", out)
        assert status == 0, err
        reports.append(json.loads(out.read_text()))
    assert reports[0]["classes"] == reports[1]["classes"] and reports[0]["mean_f1"] == reports[1]["mean_f1"]
