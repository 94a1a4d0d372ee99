import zipfile

from pvdefects.export.archive import zip_folder
from pvdefects.security.archive import unpack_submission


def test_zip_folder_round_trip_keeps_relative_names(tmp_path):
    source = tmp_path / "source"
    (source / "variables").mkdir(parents=True)
    (source / "saved_model.pb").write_bytes(b"graph")
    (source / "variables" / "variables.index").write_bytes(b"index")
    zip_folder(source, tmp_path / "model.zip")
    assert sorted(zipfile.ZipFile(tmp_path / "model.zip").namelist()) == [
        "saved_model.pb",
        "variables/variables.index",
    ]
    target = unpack_submission(tmp_path / "model.zip", tmp_path / "out")
    assert (target / "variables" / "variables.index").read_bytes() == b"index"
