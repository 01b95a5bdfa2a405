"""JSON model files: exact round trips, atomic writes, and bad files rejected
without touching the model."""

import json
import os

import pytest

import nn
from engine.files import write_atomically


@pytest.fixture
def model():
    return nn.MLP(3, [4, 2], activation="tanh", seed=0)


def test_round_trip_is_exact(tmp_path, model):
    path = tmp_path / "model.json"
    model.save(path)
    rebuilt = nn.load(path)
    assert rebuilt.state_dict() == model.state_dict()  # bit for bit
    assert repr(rebuilt) == repr(model) and rebuilt.config() == model.config()
    x = [0.1, -0.2, 0.3]
    assert [o.data for o in rebuilt(x)] == [o.data for o in model(x)]
    other = nn.MLP(3, [4, 2], activation="tanh", seed=1)
    other.load(path)
    assert other.state_dict() == model.state_dict()


def test_file_is_plain_readable_json(tmp_path, model):
    path = tmp_path / "model.json"
    nn.save(model, path)
    document = json.loads(path.read_text())
    assert document["format"] == "glassgrad-model" and document["version"] == 1
    assert document["architecture"] == {"type": "MLP", "nin": 3, "nouts": [4, 2],
                                        "activation": ["tanh", "linear"]}
    assert document["parameters"]["layers.1.neurons.0.b"] == 0.0


@pytest.mark.parametrize("module", [nn.Neuron(2, activation="gelu", seed=0),
                                    nn.Layer(2, 3, seed=0)])
def test_neurons_and_layers_round_trip_too(tmp_path, module):
    path = tmp_path / "m.json"
    module.save(path)
    assert nn.load(path).state_dict() == module.state_dict()


def test_loading_does_not_touch_global_random(tmp_path, model):
    import random

    model.save(tmp_path / "m.json")
    state = random.getstate()
    nn.load(tmp_path / "m.json")
    assert random.getstate() == state


def corrupt_files(model, tmp_path):
    """(name, contents) of files that must be rejected."""
    good = tmp_path / "good.json"
    model.save(good)
    text = good.read_text()
    document = json.loads(text)

    def variant(**changes):
        return json.dumps({**document, **changes})

    params = document["parameters"]
    fewer = {k: v for k, v in params.items() if k != "layers.0.neurons.0.w2"}
    return [
        ("truncated", text[: len(text) // 2]),
        ("empty", ""),
        ("not json", "model = {}"),
        ("a list", "[1, 2]"),
        ("wrong format", variant(format="something-else")),
        ("future version", variant(version=99)),
        ("no parameters", variant(parameters=None)),
        ("missing weight (wrong shape)", variant(parameters=fewer)),
        ("extra weight (wrong shape)", variant(parameters={**params, "layers.2.x": 1.0})),
        ("string weight", variant(parameters={**params, "layers.1.neurons.0.b": "0.5"})),
        ("NaN weight", text.replace('"layers.1.neurons.0.b": 0.0', '"layers.1.neurons.0.b": NaN')),
        ("wrong architecture", variant(architecture={"type": "MLP", "nin": 3, "nouts": [5, 2],
                                                     "activation": ["tanh", "linear"]})),
        ("other activation", variant(architecture={"type": "MLP", "nin": 3, "nouts": [4, 2],
                                                   "activation": ["relu", "linear"]})),
        ("unknown type", variant(architecture={"type": "Transformer"})),
    ]


def test_bad_files_raise_clearly_and_leave_the_model_alone(tmp_path, model):
    before = model.state_dict()
    for name, contents in corrupt_files(model, tmp_path):
        path = tmp_path / "bad.json"
        path.write_text(contents)
        with pytest.raises((ValueError, TypeError), match=r"bad\.json"):
            model.load(path)
        assert model.state_dict() == before, name
        if name not in ("other activation",):
            with pytest.raises((ValueError, TypeError)):
                nn.load(path)


def test_missing_file_and_binary_garbage(tmp_path, model):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.json")
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe\x00\x80")
    with pytest.raises(ValueError, match=r"garbage\.json"):
        model.load(garbage)


def test_writes_are_atomic(tmp_path, model, monkeypatch):
    path = tmp_path / "model.json"
    path.write_text("old contents")

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match=r"model\.json"):
        model.save(path)
    assert path.read_text() == "old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]  # no temp file left


def test_unwritable_destination_is_named(tmp_path, model):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OSError, match="a-file"):
        model.save(tmp_path / "a-file" / "model.json")
    model.save(tmp_path / "new" / "folder" / "model.json")  # missing folders are made
    assert nn.load(tmp_path / "new" / "folder" / "model.json").state_dict() == model.state_dict()
    with pytest.raises(TypeError, match=r"nn\.Module"):
        nn.save("not a model", tmp_path / "x.json")


def test_saved_files_get_ordinary_permissions(tmp_path, model):
    path = tmp_path / "model.json"
    write_atomically(path, "{}")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_huge_declared_architecture_is_refused_before_it_is_built(tmp_path):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({
        "format": "glassgrad-model", "version": 1,
        "architecture": {"type": "MLP", "nin": 1000000, "nouts": [1000000, 1],
                         "activation": ["relu", "linear"]},
        "parameters": {"layers.0.neurons.0.w0": 0.5}}))
    assert path.stat().st_size < 300
    with pytest.raises(ValueError, match=r"huge\.json.*1,000,002,000,001 parameters.*holds 1"):
        nn.load(path)


def test_a_file_with_fewer_parameters_than_declared_names_both_counts(tmp_path, model):
    path = tmp_path / "m.json"
    model.save(path)
    document = json.loads(path.read_text())
    del document["parameters"]["layers.0.neurons.0.w0"]
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"m\.json.*MLP\(3, \[4, 2\]\) declares 26 .*holds 25"):
        nn.load(path)


def test_loading_is_linear_in_the_parameters(tmp_path):
    big = nn.MLP(64, [128, 128, 10], seed=0)  # 26,122 parameters: 52 s when it was quadratic
    path = tmp_path / "big.json"
    big.save(path)
    assert nn.load(path).state_dict() == big.state_dict()


def test_only_regular_files_are_read(tmp_path, model):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # opening it for reading would block without O_NONBLOCK
    with pytest.raises(ValueError, match=r"fifo\.json.*not a regular file"):
        nn.load(fifo)
    with pytest.raises(ValueError, match=r"/dev/zero.*not a regular file"):
        nn.load("/dev/zero")
    with pytest.raises(IsADirectoryError, match="folder"):
        model.load(tmp_path)


def test_files_over_the_size_bound_are_not_read(tmp_path, monkeypatch):
    import nn.serialization

    monkeypatch.setattr(nn.serialization, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_text(" " * 101)
    with pytest.raises(ValueError, match=r"big\.json.*MAX_FILE_BYTES = 100 bytes"):
        nn.load(path)


def test_deep_nesting_and_huge_numbers_get_named_errors(tmp_path, model):
    before = model.state_dict()
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match=r"deep\.json.*nested too deeply"):
        nn.load(deep)
    good = tmp_path / "good.json"
    model.save(good)
    text = good.read_text()
    for digits, message in [(5000, "not valid JSON"), (400, "too large for a float")]:
        path = tmp_path / f"digits{digits}.json"
        path.write_text(text.replace('"layers.1.neurons.0.b": 0.0',
                                     '"layers.1.neurons.0.b": ' + "9" * digits))
        for load in (nn.load, model.load):
            with pytest.raises(ValueError, match=rf"digits{digits}\.json.*{message}"):
                load(path)
        assert model.state_dict() == before


@pytest.mark.parametrize("change", [{"version": True}, {"version": 1.0}, {"nin": 3.0},
                                    {"nin": True}, {"extra": 1}])
def test_load_and_model_load_agree_on_strict_headers(tmp_path, model, change):
    path = tmp_path / "m.json"
    model.save(path)
    document = json.loads(path.read_text())
    if "version" in change:
        document.update(change)
    else:
        document["architecture"].update(change)
    path.write_text(json.dumps(document))
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"m\.json"):
        nn.load(path)
    with pytest.raises(ValueError, match=r"m\.json"):
        model.load(path)
    assert model.state_dict() == before

