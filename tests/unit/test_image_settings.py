"""The ``[images]`` settings: per-backend tables, migration of the first layout, environment,
and the factory that turns them into a backend."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from g2d_tui.services.images import (
    BACKEND_CLASSES,
    HONOURS,
    backend_class,
    backend_from_settings,
    honours,
    list_models,
    model_choices,
)
from g2d_tui.services.images import defaults
from g2d_tui.services.images.base import ImageError
from g2d_tui.settings.model import Environment, Settings, coerce, effective
from g2d_tui.settings.store import SettingsStore

OLD_LAYOUT = """\
[gemini]
api_key = "AIzaOLD"

[images]
backend = "huggingface"
api_key = "hf_OldToken123456"
model = "Lykon/dreamshaper-8"
base_url = "https://router.huggingface.co/hf-inference"
width = 768
future_flag = true

[images.huggingface]
future_nested = 1
"""


@pytest.fixture
def store(tmp_path: Path) -> SettingsStore:
    return SettingsStore(tmp_path / "cfg" / "config.toml")


def write(store: SettingsStore, text: str) -> None:
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text(text, encoding="utf-8")


def test_the_first_layout_is_migrated_and_written_back(store):
    write(store, OLD_LAYOUT)
    result = store.load()
    assert result.problems == [] and result.migrated and result.backup is None
    hf = result.settings.images.huggingface
    assert (hf.api_key, hf.model, hf.base_url, hf.provider) == ("hf_OldToken123456", "Lykon/dreamshaper-8", "https://router.huggingface.co", "auto")
    assert result.settings.images.width == 768
    data = tomllib.loads(store.path.read_text(encoding="utf-8"))
    assert not {"api_key", "model", "base_url"} & set(data["images"])
    assert data["images"]["huggingface"]["api_key"] == "hf_OldToken123456"
    assert data["images"]["huggingface"]["base_url"] == "https://router.huggingface.co"
    assert data["images"]["future_flag"] is True and data["images"]["huggingface"]["future_nested"] == 1
    again = store.load()
    assert not again.migrated and again.settings.to_dict() == result.settings.to_dict()


def test_a_custom_old_endpoint_keeps_its_host(store):
    write(store, '[images]\nbase_url = "http://127.0.0.1:8766/hf-inference/"\n')
    assert store.load().settings.images.huggingface.base_url == "http://127.0.0.1:8766"


def test_the_new_table_wins_over_old_flat_keys(store):
    write(store, '[images]\nmodel = "old/model"\n[images.huggingface]\nmodel = "new/model"\n')
    assert store.load().settings.images.huggingface.model == "new/model"


def test_bad_values_are_reported_per_key_in_every_table(store):
    write(store, '[images]\nmodel = 3\n[images.huggingface]\nprovider = "dall-e"\n[images.a1111]\nbase_url = 7\n[images.comfyui]\nworkflow = "/w.json"\n')
    result = store.load()
    assert sorted(p.params["name"] for p in result.problems) == ["images.a1111.base_url", "images.huggingface.provider", "images.model"]
    assert result.settings.images.comfyui.workflow == "/w.json"
    assert result.backup is not None
    assert store.path.read_text(encoding="utf-8").startswith("[images]\nmodel = 3")  # a damaged file is not rewritten


def test_a_backend_table_that_is_not_a_table(store):
    write(store, '[images]\ngemini = "x"\n')
    result = store.load()
    assert [p.params["name"] for p in result.problems] == ["images.gemini"]


def test_switching_backend_keeps_every_backends_values(store):
    settings = Settings()
    settings.images.huggingface.api_key = "hf_keep_me_0000"
    settings.images.a1111.model = "dreamshaper_8"
    settings.images.comfyui.checkpoint = "x.safetensors"
    settings.images.backend = "gemini"
    settings.images.model = "gemini-3-pro-image-preview"  # the picker edits the active backend's model
    store.save(settings)
    loaded = store.load().settings.images
    assert loaded.gemini.model == "gemini-3-pro-image-preview"
    assert (loaded.huggingface.api_key, loaded.huggingface.model) == ("hf_keep_me_0000", defaults.HF_MODEL)
    assert (loaded.a1111.model, loaded.comfyui.checkpoint) == ("dreamshaper_8", "x.safetensors")
    loaded.backend = "comfyui"
    assert loaded.model == "x.safetensors"


def test_copies_are_deep():
    settings = Settings()
    copy = settings.copy()
    copy.images.huggingface.model = "changed/model"
    assert settings.images.huggingface.model == defaults.HF_MODEL


def test_keys_stay_out_of_reprs():
    settings = Settings()
    settings.images.huggingface.api_key = "hf_ReprSecret0000"
    env = Environment.from_environ({"HF_TOKEN": "hf_EnvSecret0000", "GEMINI_API_KEY": "AIzaEnvSecret"})
    for text in (repr(settings.images), repr(env), repr(effective(settings, env))):
        assert "Secret" not in text


def test_environment_lays_over_every_backend():
    env = Environment.from_environ({
        "HF_TOKEN": "hf_env", "G2D_HF_BASE_URL": "http://127.0.0.1:1/hf-inference", "G2D_HF_HUB_URL": "http://127.0.0.1:2",
        "G2D_A1111_URL": "http://127.0.0.1:3", "G2D_COMFYUI_URL": "http://127.0.0.1:4",
    })
    resolved = effective(Settings(), env)
    assert (resolved.hf_token, resolved.hf_base_url, resolved.hf_hub_url) == ("hf_env", "http://127.0.0.1:1", "http://127.0.0.1:2")
    assert (resolved.a1111_url, resolved.comfyui_url) == ("http://127.0.0.1:3", "http://127.0.0.1:4")
    plain = effective(Settings(), Environment())
    assert (plain.hf_base_url, plain.a1111_url, plain.comfyui_url) == (defaults.HF_ROUTER_URL, defaults.A1111_URL, defaults.COMFYUI_URL)


def test_coerce_knows_the_backend_tables():
    assert coerce("images.huggingface", "provider", " fal-ai ") == "fal-ai"
    assert coerce("images.a1111", "sampler", "Euler a") == "Euler a"


@pytest.mark.parametrize("backend", defaults.BACKENDS)
def test_the_factory_builds_each_backend_from_its_table(backend):
    settings = Settings()
    settings.images.backend = backend
    settings.images.huggingface.provider = "together"
    settings.images.a1111.sampler = "Euler a"
    settings.images.comfyui.workflow = "~/flow.json"
    env = Environment.from_environ({"HF_TOKEN": "hf_env_token", "GEMINI_API_KEY": "AIzaEnv", "G2D_A1111_URL": "http://127.0.0.1:3"})
    built = backend_from_settings(settings, env)
    assert type(built) is backend_class(backend) and built.name == backend
    assert honours(built) == honours(backend) == HONOURS[backend] == type(built).honours
    config = built.config
    if backend == "huggingface":
        assert (config.api_key, config.provider, config.base_url) == ("hf_env_token", "together", defaults.HF_ROUTER_URL)
    elif backend == "gemini":
        assert (config.api_key, config.model) == ("AIzaEnv", defaults.GEMINI_IMAGE_MODEL)
    elif backend == "a1111":
        assert (config.base_url, config.sampler) == ("http://127.0.0.1:3", "Euler a")
    else:
        assert (config.base_url, config.workflow) == (defaults.COMFYUI_URL, "~/flow.json")


def test_an_unknown_backend_name():
    settings = Settings()
    settings.images.backend = "dall-e"
    with pytest.raises(ImageError) as caught:
        backend_from_settings(settings, Environment())
    assert caught.value.key == "images.unknown_backend"
    assert honours("dall-e") == frozenset()
    assert set(BACKEND_CLASSES) == set(defaults.BACKENDS) == set(HONOURS)


def test_model_choices_before_any_server_is_asked():
    settings = Settings()
    assert model_choices(settings) == list(defaults.HF_CURATED_MODELS)
    settings.images.backend = "gemini"
    assert model_choices(settings) == list(defaults.GEMINI_IMAGE_MODELS)
    settings.images.backend = "a1111"
    assert model_choices(settings) == [""]
    settings.images.model = "dreamshaper_8"
    assert model_choices(settings) == ["dreamshaper_8"]


async def test_list_models_asks_the_backends_server(fake_a1111, fake_comfyui):
    settings = Settings()
    settings.images.a1111.base_url, settings.images.comfyui.base_url = fake_a1111.base_url, fake_comfyui.base_url
    for backend, expected in (("a1111", "dreamshaper_8.safetensors [879db523c3]"), ("comfyui", "sd_xl_base_1.0.safetensors")):
        settings.images.backend = backend
        built = backend_from_settings(settings, Environment())
        assert expected in await list_models(built)
        await built.aclose()
    settings.images.backend = "huggingface"
    assert await list_models(backend_from_settings(settings, Environment())) == list(defaults.HF_CURATED_MODELS)


def test_the_request_and_the_settings_take_their_generation_parameters_from_one_place():
    """Declared once (defaults.GENERATION_PARAMETERS): same names, types and defaults in the
    frozen request and the editable [images] table, each at its place among the other fields."""
    import dataclasses

    from g2d_tui.services.images.base import ImageRequest
    from g2d_tui.settings.model import ImageSettings

    declared = {name: default for name, (_, default) in defaults.GENERATION_PARAMETERS.items()}
    request, settings = ImageRequest("a fox"), ImageSettings()
    assert {name: getattr(request, name) for name in declared} == declared
    assert {name: getattr(settings, name) for name in declared} == declared
    assert defaults.REQUEST_FIELDS == set(declared)
    request_fields = [item.name for item in dataclasses.fields(ImageRequest)]
    assert request_fields == ["prompt", *declared, "source_request"]
    assert [item.name for item in dataclasses.fields(ImageSettings)][:3 + len(declared)] == ["backend", "save_dir", "auto_save", *declared]
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.width = 64  # type: ignore[misc]
    settings.width = 64
    assert settings.width == 64 and ImageSettings().width == defaults.WIDTH


def test_the_generation_parameters_need_a_place_to_go():
    with pytest.raises(TypeError, match="no field 'missing'"):
        defaults.with_generation_parameters(after="missing")(type("Nothing", (), {"__annotations__": {"a": "int"}}))
