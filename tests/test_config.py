"""Configuration: where it is found, what it may say, how sources merge."""

from __future__ import annotations

import pytest

from calls.config import ConfigError, load_config


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(workdir):
    config = load_config()
    assert config.path is None
    assert config.database_url == f"sqlite:///{workdir / 'var' / 'grantdigest.db'}"
    assert config.mirror is None
    assert "eu-ftp" in config.sources and config.sources["eu-ftp"].timezone == "Europe/Brussels"


def test_explicit_path_beats_environment_beats_cwd(workdir, monkeypatch):
    write(workdir / "grantdigest.toml", 'mirror = "http://127.0.0.1:1"\n')
    other = write(workdir / "other.toml", 'mirror = "http://127.0.0.1:2"\n')
    third = write(workdir / "third.toml", 'mirror = "http://127.0.0.1:3"\n')
    assert load_config().mirror == "http://127.0.0.1:1"
    monkeypatch.setenv("GRANTDIGEST_CONFIG", str(other))
    assert load_config().mirror == "http://127.0.0.1:2"
    assert load_config(third).mirror == "http://127.0.0.1:3"


def test_mirror_argument_overrides_file(workdir):
    path = write(workdir / "g.toml", 'mirror = "http://127.0.0.1:1/"\n')
    assert load_config(path).mirror == "http://127.0.0.1:1"
    assert load_config(path, mirror="http://127.0.0.1:9").mirror == "http://127.0.0.1:9"


def test_relative_sqlite_path_is_relative_to_the_file(workdir):
    (workdir / "conf").mkdir()
    path = write(workdir / "conf" / "g.toml", '[database]\nurl = "sqlite:///data/x.db"\n')
    assert load_config(path).database_url == f"sqlite:///{workdir / 'conf' / 'data' / 'x.db'}"


def test_database_url_from_environment(workdir, monkeypatch):
    monkeypatch.setenv("GRANTDIGEST_DATABASE_URL", "postgresql+psycopg://u@localhost/gd")
    assert load_config().database_url == "postgresql+psycopg://u@localhost/gd"


@pytest.mark.parametrize("text", ['[email]\npassword = "hunter2"\n',
                                  '[sources.x]\nspider="feed"\n[sources.x.options]\napi_token = "abc"\n'])
def test_secrets_in_the_file_are_refused(workdir, text):
    path = write(workdir / "g.toml", text)
    with pytest.raises(ConfigError, match="environment"):
        load_config(path)


def test_secret_named_by_environment_variable_is_fine(workdir):
    path = write(workdir / "g.toml", '[email]\npassword_env = "GRANTDIGEST_SMTP_PASSWORD"\n')
    assert load_config(path).section("email") == {"password_env": "GRANTDIGEST_SMTP_PASSWORD"}


def test_source_override_merges_options(workdir):
    path = write(workdir / "g.toml", "[sources.eu-ftp]\ntimeout = 5\n[sources.eu-ftp.options]\npage_size = 7\n")
    source = load_config(path).source("eu-ftp")
    assert source.timeout == 5
    assert source.options["page_size"] == 7
    assert source.options["statuses"] == ["forthcoming", "open"]  # kept from the catalogue


def test_new_source_on_a_generic_spider(workdir):
    path = write(workdir / "g.toml", '[sources.my-feed]\nspider = "feed"\nlanguage = "uk"\ntimezone = "Europe/Kyiv"\n')
    source = load_config(path).source("my-feed")
    assert (source.spider, source.languages, source.timezone) == ("feed", ("uk",), "Europe/Kyiv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is = not toml [", "not valid TOML"),
        ('[sources.eu-ftp]\ncolour = "red"\n', "unknown keys"),
        ('[sources.eu-ftp]\ntimezone = "Mars/Olympus"\n', "unknown time zone"),
        ('mirror = "ftp://x"\n', "mirror must be an http"),
        ('[crawl]\nspeed = 3\n', r"\[crawl\]"),
    ],
)
def test_clear_errors(workdir, text, message):
    path = write(workdir / "g.toml", text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_missing_explicit_file(workdir):
    with pytest.raises(ConfigError, match="not found"):
        load_config(workdir / "nope.toml")


def test_unknown_source(workdir):
    with pytest.raises(ConfigError, match="no source named"):
        load_config().source("nope")


def test_repository_config_is_valid():
    from pathlib import Path

    config = load_config(Path(__file__).parents[1] / "grantdigest.toml")
    assert config.source("eu-ftp").enabled


def test_site_and_health_sections_are_typed_with_their_defaults_stated_once(tmp_path):
    path = tmp_path / "grantdigest.toml"
    path.write_text('[site]\nout = "public"\n[health]\nalert_to = "editor@example.org"\n', encoding="utf-8")
    config = load_config(path)
    assert (config.site.out, config.site.base_url, config.site.theme_feeds) == ("public", "http://localhost:8000/", [])
    assert config.health.alert_to == "editor@example.org"
    path.write_text('[site]\nbase_ulr = "https://grants.example.org/"\n', encoding="utf-8")  # a typo is an error
    with pytest.raises(ConfigError, match=r"\[site\] base_ulr"):
        _ = load_config(path).site
