/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration reader's warnings and notices for the configuration
 * fuzz targets: expanded (ASan checks their arguments) but not printed.
 */
#include <stdarg.h>
#include <stdio.h>

#include "config.h"

/* Formats the message and drops it. */
static void
expand(const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
}

void
vfwd_config_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	expand(fmt, ap);
	va_end(ap);
}

void
vfwd_config_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	expand(fmt, ap);
	va_end(ap);
}
