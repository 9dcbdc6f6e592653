"""`opencustoms node serve --config node.toml`: a node's settings file is checked before
anything starts."""


def test_a_settings_file_with_a_typo_or_a_secret_is_refused_with_where(cli, tmp_path):
    config = tmp_path / "node.toml"
    config.write_text('node_id = "KR-NODE"\nnode_idd = "x"\nkey_passphrase = "secret"\n')
    code, _, err = cli("node", "serve", "--config", config)
    assert code == 2
    assert "node_idd is not a setting" in err
    assert "OPENCUSTOMS_KEY_PASSPHRASE" in err
    config.write_text('node_id = "KR-NODE\n')
    code, _, err = cli("node", "serve", "--config", config)
    assert code == 2
    assert "node.toml" in err
    assert "line 1" in err
    code, _, err = cli("node", "serve", "--config", tmp_path / "missing.toml")
    assert (code, "FileNotFoundError" in err) == (2, True)


def test_a_node_needs_its_id(cli, tmp_path):
    config = tmp_path / "node.toml"
    config.write_text('office_timezone = "Asia/Seoul"\n')
    code, _, err = cli("db", "upgrade")
    assert code == 0
    code, _, err = cli("node", "serve", "--config", config)
    assert code == 2
    assert "no node_id" in err
