import pytest

from pvdefects.errors import UserError
from pvdefects.inference.inputs import images_to_predict


@pytest.fixture
def folder(tmp_path):
    for name in ("b.png", "a.PNG", "c.tif", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def test_a_folder_gives_its_images_sorted_by_name(folder):
    assert [name for name, _ in images_to_predict(folder=folder)] == ["a.PNG", "b.png", "c.tif"]


def test_files_keep_the_name_typed(folder):
    entries = images_to_predict(files=[folder / "b.png"])
    assert entries == [(str(folder / "b.png"), folder / "b.png")]
    with pytest.raises(UserError, match="absent.png: image not found"):
        images_to_predict(files=[folder / "b.png", folder / "absent.png"])


def test_a_csv_gives_its_filename_column_relative_to_its_folder(folder):
    (folder / "list.csv").write_text("filename;crack\nb.png;1\n\na.PNG;0\n")
    assert images_to_predict(csv_file=folder / "list.csv") == [
        ("b.png", folder / "b.png"),
        ("a.PNG", folder / "a.PNG"),
    ]
    (folder / "headless.csv").write_text("b.png\n")
    with pytest.raises(UserError, match="headed 'filename'"):
        images_to_predict(csv_file=folder / "headless.csv")
    (folder / "list.csv").write_text("filename\nabsent.png\n")
    with pytest.raises(UserError, match="image not found"):
        images_to_predict(csv_file=folder / "list.csv")


def test_exactly_one_source_and_at_least_one_image(folder, tmp_path):
    with pytest.raises(UserError, match="exactly one way"):
        images_to_predict()
    with pytest.raises(UserError, match="exactly one way"):
        images_to_predict(files=[folder / "b.png"], folder=folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no images"):
        images_to_predict(folder=tmp_path / "empty")
    with pytest.raises(UserError, match="folder not found"):
        images_to_predict(folder=tmp_path / "absent")


def test_hidden_and_system_files_are_not_images(tmp_path):
    names = (
        "cell0001.png",
        "._cell0001.png",
        ".DS_Store",
        "Thumbs.db",
        "desktop.ini",
        ".hidden.tif",
        "b.tif",
    )
    for name in names:
        (tmp_path / name).write_bytes(b"")
    assert [name for name, _ in images_to_predict(folder=tmp_path)] == ["b.tif", "cell0001.png"]
