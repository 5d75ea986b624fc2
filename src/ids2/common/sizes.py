"""Bytes in a mebibyte: the config gives sizes in MB (mebibytes), the kernel, the engine and
Vector take bytes."""

MIB = 1024 * 1024
