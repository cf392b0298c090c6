/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration reader's warnings and notices for the configuration
 * fuzz targets: expanded (ASan checks their arguments) but not printed.
 */
#include <stdarg.h>
#include <stdio.h>

#include "config.h"

void
vfwd_config_warn(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

void
vfwd_config_notice(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}
