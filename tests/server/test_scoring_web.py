"""Real scoring through the web: an honest tiny model is scored exactly as in-process evaluation, ranked,
selected, finalised on a second set and published; hostile zips end rejected with their category,
a sanitised reason, and nothing written. Each sandboxed run costs seconds: keep this file small."""

from __future__ import annotations

import json
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from django.utils import timezone
from factories import PASSWORD, make_challenge, make_user, write_test_set
from submissions import CLASS_NAMES, decisions_like, export_honest, save_function

from pvdefects.data.sources import load_dataset
from pvdefects.decisions import apply_thresholds, sigmoid
from pvdefects.evaluation.metrics import multilabel_metrics
from pvdefects.models import create_model
from pvdefects.security.sandbox import bubblewrap
from pvdefects.server.challenges.testsets import install_test_set
from pvdefects.server.submissions.finalize import finalize, publish
from pvdefects.server.submissions.models import State, Submission
from pvdefects.server.teams.models import Team

pytestmark = [
    pytest.mark.django_db(transaction=True),  # uploads commit, so their tasks run (eagerly) as in production
    pytest.mark.skipif(
        bubblewrap() is None, reason="bubblewrap is not installed (apt-get install bubblewrap)"
    ),
]


@pytest.fixture(scope="module")
def test_sets(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sets")
    return write_test_set(root / "public", cells=6, seed=0), write_test_set(root / "final", cells=6, seed=1)


@pytest.fixture(scope="module")
def honest(tmp_path_factory, test_sets):
    """An untrained simple_cnn exported with thresholds at the median public score (both decisions occur),
    and the metrics in-process evaluation gives it on each test set."""
    keras.utils.set_random_seed(0)
    model = create_model("simple_cnn", 2, input_size=32)

    def scores_of(labels: Path) -> tuple[np.ndarray, np.ndarray]:
        data = load_dataset(labels)
        return sigmoid(np.asarray(model(data.images.astype(np.float32), training=False))), data.labels

    public_scores, _ = scores_of(test_sets[0])
    ordered = np.sort(public_scores, axis=0)
    thresholds = [float(t) for t in (ordered[3] + ordered[2]) / 2]

    def expected(labels: Path) -> dict:
        scores, truth = scores_of(labels)
        return multilabel_metrics(truth, apply_thresholds(scores, thresholds), CLASS_NAMES)

    zip_path = export_honest(model, thresholds, tmp_path_factory.mktemp("honest"))
    return zip_path, expected(test_sets[0]), expected(test_sets[1])


def challenge_with_team(labels: Path, client):
    stored, images_root = install_test_set("cells", "public", labels, None)
    challenge = make_challenge(public_labels=stored, public_images_root=images_root)
    user = make_user("a")
    Team.create(challenge, "Cracks", user)
    client.login(username=user.email, password=PASSWORD)
    return challenge


def upload(client, challenge, zip_path: Path):
    with open(zip_path, "rb") as file:
        response = client.post(f"/c/{challenge.slug}/upload/", {"model": file})
    assert response.status_code == 302, response.content.decode()[:500]
    return Submission.objects.latest("pk")


def test_an_honest_upload_is_scored_ranked_and_finalised(client, eager_scoring, honest, test_sets):
    zip_path, public_expected, final_expected = honest
    challenge = challenge_with_team(test_sets[0], client)
    submission = upload(client, challenge, zip_path)
    assert submission.state == State.SCORED, (submission.error_category, submission.internal_error)
    assert submission.public_metrics == public_expected
    assert submission.public_mean_f1 == round(public_expected["mean_f1"], 3)
    status = client.get(f"/api/submissions/{submission.pk}").json()
    assert (status["state"], status["mean_f1"], status["attempts"]) == (
        "scored",
        submission.public_mean_f1,
        1,
    )
    board = client.get("/api/challenges/cells/leaderboard").json()["rows"]
    assert [(row["rank"], row["team"], row["mean_f1"]) for row in board] == [
        (1, "Cracks", submission.public_mean_f1)
    ]

    assert client.post(f"/c/cells/submissions/{submission.pk}/select/").status_code == 302
    challenge.deadline = timezone.now() - timedelta(seconds=1)
    challenge.save()
    manifest, outcomes = finalize(challenge, test_sets[1])
    submission.refresh_from_db()
    entries = json.loads(manifest.read_text())["submissions"]
    assert entries == [{"team": "Cracks", "submission": submission.pk, "sha256": submission.sha256}]
    assert submission.final_mean_f1 == round(final_expected["mean_f1"], 3)
    low, high = submission.final_metrics["intervals"]["mean_f1"]
    assert low <= final_expected["mean_f1"] <= high
    assert client.get("/c/cells/final/").status_code == 404  # not published yet
    assert "final_mean_f1" not in client.get(f"/api/submissions/{submission.pk}").json()
    publish(challenge)
    final = client.get("/api/challenges/cells/final-leaderboard").json()["rows"]
    assert [(row["rank"], row["team"], row["mean_f1"], row["rank_change"]) for row in final] == [
        (1, "Cracks", submission.final_mean_f1, 0)
    ]
    assert "Cracks" in client.get("/c/cells/final/").content.decode()
    assert client.post("/c/cells/upload/", {"model": open(zip_path, "rb")}).status_code == 403  # frozen


def not_a_zip(folder: Path) -> Path:
    (folder / "model.zip").write_bytes(b"plain text")
    return folder / "model.zip"


def traversal_zip(folder: Path) -> Path:
    path = folder / "traversal.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("saved_model.pb", b"")
        archive.writestr("../../pvdefects-escaped.txt", b"x")
    return path


def reshape_failure(x):
    """Fails at run time with an error that names the test images' shape: the reason must not repeat it."""
    return {"y": decisions_like(tf.reshape(x, [7, -1, 1, 1]), 1.0)}


HOSTILE = {
    "not a zip": (not_a_zip, "archive", "not a readable zip archive"),
    "path traversal": (traversal_zip, "archive", "'..'"),
    "reads a file": (
        lambda folder: save_function(
            lambda x: {"y": decisions_like(x, tf.strings.to_number(tf.io.read_file("/etc/hostname")))}, folder
        ),
        "model",
        "operations that scoring does not allow",
    ),
    "NaN decisions": (
        lambda folder: save_function(lambda x: {"y": decisions_like(x, float("nan"))}, folder),
        "output",
        "not one 0/1 decision per image and class",
    ),
    "error naming the images": (
        lambda folder: save_function(reshape_failure, folder),
        "runtime",
        "failed while scoring",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_uploads_end_rejected_with_their_category_and_write_nothing(
    client, eager_scoring, test_sets, tmp_path, monkeypatch, name
):
    make, category, reason = HOSTILE[name]
    folder = tmp_path / "hostile"
    folder.mkdir()
    zip_path = make(folder)
    private_tmp = tmp_path / "system-tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    challenge = challenge_with_team(test_sets[0], client)
    submission = upload(client, challenge, zip_path)
    assert (submission.state, submission.error_category) == (State.REJECTED, category)
    assert reason in submission.error_reason
    for leak in ("cell0", "(6, 32, 32, 1)", "32, 32", "nan", "NotFound", "InvalidArgument"):
        assert leak not in submission.error_reason
    assert submission.public_metrics is None and Team.objects.get().best_submission is None
    assert not list(private_tmp.iterdir()), "scoring must leave nothing in the temporary folder"
    assert (
        not list(Path("/tmp").glob("pvdefects-escaped.txt"))
        and not (tmp_path / "pvdefects-escaped.txt").exists()
    )
    page = client.get("/c/cells/submissions/").content.decode()
    assert f"{category}: " in page
