"""The reviewer console's pages under ``/console`` (server-rendered; forms work without script)."""
