"""The one schema of /etc/ids2/config.yaml: every key, its type, default, range and meaning.

The shipped etc/ids2/config.yaml and the README's configuration reference are generated from
this module (`ids2 config example`, `ids2 config reference`); a test proves they match.
"""

from __future__ import annotations

from ids2.config import checks
from ids2.config.notify_schema import NOTIFY, NOTIFY_SECRETS
from ids2.config.rules_schema import RULES
from ids2.config.spec import (
    Section,
    boolean,
    choice,
    integer,
    integer_list,
    number,
    string,
    string_list,
)

SHIPPING_PACES = ("normal", "reduced", "minimal")
PACKAGED_RAMDISK = "/mnt/ram_logs"
"""The RAM disk's default mount point (mnt-ram_logs.mount), where versions before the
rendered mount unit always mounted it."""


def _throttle_level(
    level: int, threshold: int, cpu_quota: int, memory_high: int, cpu_factor: float, pace: str
) -> Section:
    return Section(
        f"Throttle level {level}: entered when smoothed CPU or RAM use reaches the threshold.",
        {
            "threshold_percent": integer(
                f"Smoothed CPU or RAM use (percent of the machine) that enters level {level}.",
                threshold,
                1,
                100,
            ),
            "suricata_cpu_quota_percent": integer(
                "CPUQuota= set on suricata.service at this level, in percent of one core "
                "(200 = two cores); 0 leaves it unlimited.",
                cpu_quota,
                0,
                6400,
            ),
            "suricata_memory_high_mb": integer(
                "MemoryHigh= set on suricata.service at this level, in MiB; 0 leaves it "
                "unlimited. The kernel reclaims and slows Suricata above it; it never kills.",
                memory_high,
                0,
                1048576,
            ),
            "container_cpu_factor": number(
                "Factor applied to Prometheus's and Grafana's CPU limits at this level. "
                "Vector's follows shipping_pace; Redis, the buffer, is never throttled.",
                cpu_factor,
                0.05,
                1.0,
            ),
            "shipping_pace": choice(
                "Pace of shipping: reduced and minimal divide Vector's CPU limit by 2 and 4 "
                "and stretch the canary and probe intervals as much, and pause backfill; "
                "capture keeps its CPU while the RAM disk holds what Vector has not shipped.",
                pace,
                SHIPPING_PACES,
            ),
        },
    )


def _stack_service(name: str, cpus: float, memory_mb: int, enabled: bool = True) -> Section:
    return Section(
        f"The {name} container.",
        {
            "enabled": boolean(f"Run {name} as part of the stack.", enabled),
            "cpus": number(f"CPU limit of {name}, in cores.", cpus, 0.05, 64.0),
            "memory_mb": integer(f"Memory limit of {name}, in MiB.", memory_mb, 32, 1048576),
        },
    )


SENSOR = Section(
    "What Suricata captures and how much of the machine it may use.",
    {
        "name": string(
            "This sensor's name in every event (Suricata's sensor-name, ECS observer.name and "
            "observer.hostname), so sensors sharing indices can be told apart; '' is the "
            "machine's hostname.",
            "",
            check=checks.host_name_or_empty,
        ),
        "interface": string(
            "Capture interface, fed by a switch's mirror (SPAN) port.",
            "eth0",
            check=checks.interface_name,
        ),
        "home_networks": string_list(
            "Networks Suricata treats as HOME_NET; everything else is EXTERNAL_NET.",
            ["192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12"],
            check=checks.network,
        ),
        "workers": integer(
            "af-packet worker threads (workers runmode). At most the number of CPU cores.",
            2,
            1,
            64,
        ),
        "management_cores": integer_list(
            "CPU cores for Suricata's management threads; [] chooses: cores 0-1 on four or "
            "more cores, all cores otherwise.",
            [],
            0,
            255,
        ),
        "worker_cores": integer_list(
            "CPU cores for the worker threads; [] chooses: the cores after the management "
            "ones (2-3 on a Pi 5), all cores on smaller machines.",
            [],
            0,
            255,
        ),
        "memory_budget_mb": integer(
            "Total of Suricata's memcaps (flow, stream, reassembly, defrag, host, app-layer), "
            "in MiB. Must fit in the machine's RAM with room for the rest of the box.",
            512,
            64,
            65536,
        ),
        "bpf_filter": string(
            "Berkeley Packet Filter applied at capture, such as 'not host 10.0.0.5'; '' for all.",
            "",
        ),
        "unix_socket": string(
            "Suricata's unix command socket, used for rule reloads, log reopening and stats.",
            "/run/suricata/suricata-command.socket",
            check=checks.absolute_path,
        ),
        "pcap": Section(
            "The packets of alerted flows, kept in a size-capped ring of pcap files for "
            "`ids2 alerts pcap` (Suricata's pcap-log in conditional mode). Off by default: "
            "it writes to the SD card.",
            {
                "enabled": boolean(
                    "Keep the packets of every flow that raised an alert, from its first alert on.",
                    False,
                ),
                "directory": string(
                    "Directory of the ring; on the SD card, since the RAM disk is lost on "
                    "reboot. Suricata's unit may write only the default one.",
                    "/var/lib/ids2/pcap",
                    check=checks.absolute_path,
                ),
                "max_files": integer(
                    "Files in the ring; Suricata deletes the oldest when it starts a new one.",
                    16,
                    2,
                    10000,
                ),
                "file_size_mb": integer(
                    "Size of one file, in MiB, before Suricata starts the next (its minimum "
                    "is 4); the ring takes at most max_files x file_size_mb.",
                    16,
                    4,
                    4096,
                ),
                "compression": choice(
                    "lz4 (frame format, which ids2 reads back) or none.",
                    "lz4",
                    ("lz4", "none"),
                ),
            },
        ),
        "rules": RULES,
    },
)

RAMDISK = Section(
    "The tmpfs RAM disk that holds EVE JSON until the shipper has read it.",
    {
        "mount_point": string(
            "Where the tmpfs is mounted: the appliance's mount unit (named after it), "
            "Suricata and the units that write there, Vector's bind mount, the controllers "
            "and status follow it. A deploy that changes it moves the files there.",
            PACKAGED_RAMDISK,
            check=checks.absolute_path,
        ),
        "size_mb": integer("Size of the tmpfs, in MiB.", 512, 16, 65536),
        "rotate_interval_seconds": integer(
            "Suricata starts a new EVE file this often; the shipper deletes read files.",
            60,
            10,
            3600,
        ),
        "high_water_percent": integer(
            "Last resort: above this fill level the oldest rotated file is dropped and its "
            "bytes are counted as lost.",
            90,
            50,
            99,
        ),
    },
)

OPENSEARCH = Section(
    "Where events are indexed. With no endpoint, events go to the local spool.",
    {
        "endpoint": string(
            "OpenSearch URL; '' ships to the local spool instead.",
            "",
            check=checks.http_url_or_empty,
            example="https://search-sensors-abc123.eu-west-1.es.amazonaws.com",
        ),
        "dashboards_url": string(
            "OpenSearch Dashboards, where deploy imports the ids2 saved objects (index "
            "pattern, saved search, visualizations, dashboard); '' is ENDPOINT/_dashboards "
            "with auth aws (where AWS serves it) and no import for a self-hosted endpoint.",
            "",
            check=checks.http_url_or_empty,
            example="https://dashboards.example.net:5601",
        ),
        "auth": choice(
            "aws signs requests with SigV4; basic reads user and password from the secrets "
            "file; none sends no credentials.",
            "none",
            ("aws", "basic", "none"),
        ),
        "aws_region": string(
            "AWS region of the domain; '' takes it from the AWS profile.",
            "",
            check=checks.aws_region_or_empty,
        ),
        "aws_profile": string("AWS profile for credentials; '' uses the default chain.", ""),
        "aws_domain": string(
            "OpenSearch Service domain name, checked at deploy time; '' skips that check.", ""
        ),
        "ca_bundle": string(
            "CA bundle for a self-hosted endpoint; '' uses the system store.",
            "",
            check=checks.absolute_path_or_empty,
        ),
        "verify_tls": boolean(
            "Verify the server's certificate. Only turn off for a lab; never in production.",
            True,
        ),
        "index_prefix": string(
            "Daily indices are named PREFIX-YYYY.MM.DD.",
            "ids2-logs",
            check=checks.index_prefix,
        ),
        "retention_days": integer("The ISM policy deletes indices older than this.", 30, 1, 3650),
        "probe_read_only": boolean(
            "Connectivity probes only read (cluster health) and never write a probe document.",
            False,
        ),
    },
)

SHIPPING = Section(
    "How Vector ships events from the RAM disk.",
    {
        "opensearch": OPENSEARCH,
        "batch_max_events": integer("Events per bulk request at most.", 1000, 1, 100000),
        "batch_timeout_seconds": number(
            "A partial batch is sent after this long, so alerts are searchable within seconds.",
            1.0,
            0.1,
            300.0,
        ),
        "disk_buffer_mb": integer(
            "Vector's disk buffer in front of OpenSearch; when full it blocks, never drops.",
            256,
            256,
            1048576,
        ),
        "redis": Section(
            "Redis, the fallback buffer that takes events when the disk buffer is full.",
            {
                "enabled": boolean("Spill to Redis when OpenSearch is unreachable.", True),
                "key": string(
                    "Redis list that holds spilled events.", "ids2:spill", check=checks.redis_key
                ),
            },
        ),
        "spool": Section(
            "The local default sink: ECS NDJSON files per day.",
            {
                "directory": string(
                    "Directory of the daily spool files.",
                    "/var/lib/ids2/spool",
                    check=checks.absolute_path,
                ),
                "max_mb": integer("Oldest files are pruned above this size.", 2048, 16, 1048576),
                "keep_raw": boolean(
                    "Also write event.original and suricata.eve (the EVE line and object "
                    "again) to the spool: about 3x the bytes on the SD card.",
                    False,
                ),
            },
        ),
        "secrets_file": string(
            "Root-only YAML file with passwords; never put them in this file.",
            "/etc/ids2/secrets.yaml",
            check=checks.absolute_path,
        ),
    },
)

RESOURCES = Section(
    "The resource controller keeps the box at or under the hard limit by throttling.",
    {
        "sample_interval_seconds": number("How often CPU and RAM are sampled.", 2.0, 0.5, 60.0),
        "smoothing_samples": integer(
            "Samples averaged before a level is chosen, so one spike does not throttle.",
            3,
            1,
            60,
        ),
        "hysteresis_percent": integer(
            "A level is left only when use falls this far below its threshold (no flapping).",
            5,
            0,
            50,
        ),
        "hard_limit_percent": integer(
            "CPU and RAM use the box must stay at or under; level 3 must start below it.",
            70,
            10,
            100,
        ),
        "level1": _throttle_level(1, 50, 0, 0, 1.0, "reduced"),
        "level2": _throttle_level(2, 58, 150, 0, 0.75, "reduced"),
        "level3": _throttle_level(3, 65, 100, 384, 0.5, "minimal"),
    },
)

CONNECTIVITY = Section(
    "The connectivity controller's probes of the OpenSearch endpoint.",
    {
        "interval_seconds": number("Time between probe rounds while healthy.", 30.0, 1.0, 3600.0),
        "timeout_seconds": number("Timeout of each DNS, TCP, TLS and HTTP step.", 5.0, 0.1, 120.0),
        "backoff_initial_seconds": number("First retry delay after a failure.", 5.0, 0.1, 3600.0),
        "backoff_max_seconds": number("Longest retry delay.", 300.0, 1.0, 86400.0),
        "backoff_multiplier": number("Delay growth per consecutive failure.", 2.0, 1.0, 10.0),
        "backoff_jitter": number(
            "Random spread of each delay, as a fraction (0.2 = plus or minus 20 %).",
            0.2,
            0.0,
            1.0,
        ),
    },
)

METRICS = Section(
    "The Prometheus exporter of sensor health.",
    {
        "listen_address": string(
            "Address the exporter binds to; loopback keeps it on the box.",
            "127.0.0.1",
            check=checks.ip_address,
        ),
        "port": integer("TCP port of the exporter.", 10088, 1, 65535),
        "top_signatures": integer(
            "Signatures counted one by one in ids2_alert_signature_total (the first this "
            "many seen since the exporter started); later ones share one 'other' series, "
            "so the number of series stays bounded.",
            50,
            0,
            1000,
        ),
    },
)

VERIFY = Section(
    "The verify controller proves ingestion end to end with canary events.",
    {
        "interval_seconds": number("Time between canaries.", 60.0, 5.0, 86400.0),
        "timeout_seconds": number(
            "A canary not searchable after this long counts as a failure.", 30.0, 1.0, 3600.0
        ),
    },
)

STACK = Section(
    "The Docker stack: Vector, Redis, Prometheus, Alertmanager, Grafana and EveBox.",
    {
        "project_name": string("docker compose project name.", "ids2"),
        "vector": _stack_service("Vector", 1.0, 1024),
        "redis": _stack_service("Redis", 0.5, 512),
        "alertmanager": Section(
            "The Alertmanager container: sends notify.receivers what Prometheus fires.",
            {
                **_stack_service("Alertmanager", 0.25, 64).children,
                "port": integer("Alertmanager's port, on 127.0.0.1 only.", 9093, 1, 65535),
            },
        ),
        "prometheus": Section(
            "The Prometheus container.",
            {
                **_stack_service("Prometheus", 0.5, 512).children,
                "retention_days": integer("How long metrics are kept.", 7, 1, 365),
            },
        ),
        "grafana": Section(
            "The Grafana container: the one port a user opens.",
            {
                **_stack_service("Grafana", 0.5, 512).children,
                "listen_address": string(
                    "Address Grafana's port is published on.",
                    "0.0.0.0",
                    check=checks.ip_address,
                ),
                "port": integer("Grafana's published port.", 3000, 1, 65535),
            },
        ),
        "evebox": Section(
            "The EveBox container: the alert inbox, fed the RAM disk's alerts files.",
            {
                **_stack_service("EveBox", 0.5, 256).children,
                "listen_address": string(
                    "Address EveBox's port is published on.",
                    "0.0.0.0",
                    check=checks.ip_address,
                ),
                "port": integer("EveBox's published port.", 5636, 1, 65535),
                "retention_days": integer(
                    "EveBox deletes alerts older than this from its SQLite database.",
                    7,
                    1,
                    3650,
                ),
                "retention_size_mb": integer(
                    "EveBox deletes its oldest alerts while its SQLite database is larger "
                    "than this, in MiB; 0 sets no size limit (the age limit still applies).",
                    1024,
                    0,
                    1048576,
                ),
            },
        ),
    },
)

PATHS = Section(
    "Where ids2 keeps its files.",
    {
        "state_dir": string(
            "Persistent state: Vector checkpoints and buffers, last good configs.",
            "/var/lib/ids2",
            check=checks.absolute_path,
        ),
        "rendered_dir": string(
            "The configs in use (suricata.yaml, vector.toml, ...), rendered from this file.",
            "/var/lib/ids2/rendered",
            check=checks.absolute_path,
        ),
    },
)

DEPLOY = Section(
    "The deploy (phases A-G) and its config history.",
    {
        "history_dir": string(
            "Local git history of every applied rendered config (never secrets).",
            "/var/lib/ids2/history",
            check=checks.absolute_path,
        ),
        "history_remote": string(
            "Optional git remote the history is pushed to over SSH; '' keeps it local.",
            "",
            check=checks.ssh_url_or_empty,
        ),
    },
)

ROOT = Section(
    "ids2 sensor configuration.",
    {
        "sensor": SENSOR,
        "ramdisk": RAMDISK,
        "shipping": SHIPPING,
        "resources": RESOURCES,
        "connectivity": CONNECTIVITY,
        "metrics": METRICS,
        "verify": VERIFY,
        "stack": STACK,
        "paths": PATHS,
        "deploy": DEPLOY,
        "notify": NOTIFY,
    },
)

SECRETS = Section(
    "ids2 secrets, readable by root only (/etc/ids2/secrets.yaml, mode 0600).",
    {
        "opensearch_username": string("User for auth: basic.", ""),
        "opensearch_password": string("Password for auth: basic.", "", secret=True),
        "grafana_admin_password": string(
            "Grafana's admin password; generated at deploy time when empty.", "", secret=True
        ),
        "evebox_admin_password": string(
            "EveBox's admin password; generated at deploy time when empty.", "", secret=True
        ),
        "notify_receivers": NOTIFY_SECRETS,
    },
)
