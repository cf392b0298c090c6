/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errmsg.h"
#include "parse.h"
#include "vfprofile.h"

/* The kinds of values a setting takes. */
enum vfp_kind {
	VFP_MAC,        /* a unicast MAC address, or "learn" */
	VFP_UINT,       /* an integer in [min, max] */
	VFP_BOOL,       /* on/off */
};

/* One setting: its name in every source, its bit, its value. */
struct vfp_setting {
	const char *name;
	uint32_t bit;
	enum vfp_kind kind;
	unsigned long min, max;
	size_t off;               /* of the field in struct vfwd_vf_profile */
	size_t size;              /* of that field (VFP_UINT) */
	const char *allowed;      /* for error messages */
};

#define FIELD(f) .off = offsetof(struct vfwd_vf_profile, f), \
		 .size = sizeof(((struct vfwd_vf_profile *)0)->f)

/*
 * The declaration of every setting.  The limits are the kernel's
 * (IFLA_VF_VLAN takes VLAN ids up to 4095, which 802.1Q reserves, and
 * priorities up to 7); rates are Mb/s, up to 1 Tb/s.
 */
static const struct vfp_setting settings[] = {
	{ "mac", VFWD_VFP_MAC, VFP_MAC, 0, 0, FIELD(mac),
	  "a unicast MAC address XX:XX:XX:XX:XX:XX, or learn (the guest's own)" },
	{ "vlan", VFWD_VFP_VLAN, VFP_UINT, 0, 4094, FIELD(vlan),
	  "a VLAN id 1-4094, or 0 for none" },
	{ "qos", VFWD_VFP_QOS, VFP_UINT, 0, 7, FIELD(qos),
	  "a priority 0-7 (with a VLAN)" },
	{ "spoofchk", VFWD_VFP_SPOOFCHK, VFP_BOOL, 0, 1, FIELD(spoofchk),
	  "on or off" },
	{ "trust", VFWD_VFP_TRUST, VFP_BOOL, 0, 1, FIELD(trust),
	  "on or off" },
	{ "max_tx_rate", VFWD_VFP_MAX_TX_RATE, VFP_UINT, 0, 1000000,
	  FIELD(max_tx_rate), "Mb/s 0-1000000, 0 for no limit" },
	{ "min_tx_rate", VFWD_VFP_MIN_TX_RATE, VFP_UINT, 0, 1000000,
	  FIELD(min_tx_rate), "Mb/s 0-1000000, 0 for no guarantee" },
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

/* "mac, vlan, ..." for the error about an unknown name. */
static const char *
names_list(void)
{
	static char buf[128];
	size_t i, used = 0;

	if (buf[0] == '\0')
		for (i = 0; i < N_SETTINGS; i++)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s",
						 i ? ", " : "", settings[i].name);
	return buf;
}

size_t
vfwd_vf_profile_n_settings(void)
{
	return N_SETTINGS;
}

const char *
vfwd_vf_profile_setting_name(size_t i)
{
	return i < N_SETTINGS ? settings[i].name : NULL;
}

uint32_t
vfwd_vf_profile_setting_bit(size_t i)
{
	return i < N_SETTINGS ? settings[i].bit : 0;
}

/* XX:XX:XX:XX:XX:XX, hex digits of either case, nothing else. */
static int
parse_mac(const char *v, uint8_t mac[6])
{
	unsigned int i;

	if (strlen(v) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		const char *d = v + 3 * i;
		char hex[3] = { d[0], d[1], '\0' };

		if (!isxdigit((unsigned char)d[0]) || !isxdigit((unsigned char)d[1]) ||
		    (i < 5 && d[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *const on[] = { "on", "true", "yes", "1" };
	static const char *const off[] = { "off", "false", "no", "0" };
	size_t i;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (!strcasecmp(v, on[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, off[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int
vfwd_vf_profile_set(struct vfwd_vf_profile *p, const char *name,
		    const char *value, char *err, size_t errlen)
{
	char shown[VFWD_SHOWN_MAX];
	const struct vfp_setting *s = NULL;
	unsigned long n;
	uint8_t mac[6];
	char *end;
	size_t i;
	bool b;

	for (i = 0; i < N_SETTINGS; i++)
		if (!strcmp(settings[i].name, name))
			s = &settings[i];
	if (s == NULL) {
		vfwd_show_value(name, shown, sizeof(shown));
		ERR("unknown setting '%s' (allowed: %s)", shown, names_list());
		return -EINVAL;
	}
	if (p->given & s->bit) {
		ERR("%s: given twice", s->name);
		return -EINVAL;
	}
	vfwd_show_value(value, shown, sizeof(shown));
	switch (s->kind) {
	case VFP_MAC:
		if (!strcmp(value, "learn")) {
			p->mac_learn = true;
			memset(p->mac, 0, sizeof(p->mac));
			break;
		}
		if (parse_mac(value, mac) != 0 || (mac[0] & 1) ||
		    !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
			ERR("%s=%s: must be %s", s->name, shown, s->allowed);
			return -EINVAL;
		}
		p->mac_learn = false;
		memcpy(p->mac, mac, sizeof(mac));
		break;
	case VFP_UINT:
		errno = 0;
		n = strtoul(value, &end, 10);
		if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno ||
		    n < s->min || n > s->max) {
			ERR("%s=%s: must be %s", s->name, shown, s->allowed);
			return -EINVAL;
		}
		if (s->size == sizeof(uint8_t))
			*(uint8_t *)((char *)p + s->off) = (uint8_t)n;
		else if (s->size == sizeof(uint16_t))
			*(uint16_t *)((char *)p + s->off) = (uint16_t)n;
		else
			*(uint32_t *)((char *)p + s->off) = (uint32_t)n;
		break;
	case VFP_BOOL:
		if (parse_bool(value, &b) != 0) {
			ERR("%s=%s: must be %s", s->name, shown, s->allowed);
			return -EINVAL;
		}
		*(bool *)((char *)p + s->off) = b;
		break;
	}
	p->given |= s->bit;
	return 0;
}

int
vfwd_vf_profile_check(const struct vfwd_vf_profile *p, char *err, size_t errlen)
{
	if ((p->given & VFWD_VFP_QOS) && p->qos != 0 &&
	    (!(p->given & VFWD_VFP_VLAN) || p->vlan == 0)) {
		ERR("qos=%u: a priority needs a VLAN (vlan=1-4094)", p->qos);
		return -EINVAL;
	}
	if ((p->given & VFWD_VFP_MIN_TX_RATE) && (p->given & VFWD_VFP_MAX_TX_RATE) &&
	    p->max_tx_rate != 0 && p->min_tx_rate > p->max_tx_rate) {
		ERR("min_tx_rate=%u: more than max_tx_rate=%u", p->min_tx_rate,
		    p->max_tx_rate);
		return -EINVAL;
	}
	return 0;
}

int
vfwd_vf_profile_parse(const char *text, struct vfwd_vf_profile *p, char *err,
		      size_t errlen)
{
	char buf[VFWD_VF_PROFILE_TEXT_MAX * 2], shown[VFWD_SHOWN_MAX];
	char *tok, *save = NULL, *eq;
	struct vfwd_vf_profile q;
	int rc;

	memset(&q, 0, sizeof(q));
	if (strlen(text) >= sizeof(buf)) {
		ERR("longer than %zu characters", sizeof(buf) - 1);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (eq == NULL) {
			vfwd_show_value(tok, shown, sizeof(shown));
			ERR("'%s': not NAME=VALUE (names: %s)", shown, names_list());
			return -EINVAL;
		}
		*eq = '\0';
		rc = vfwd_vf_profile_set(&q, tok, eq + 1, err, errlen);
		if (rc != 0)
			return rc;
	}
	rc = vfwd_vf_profile_check(&q, err, errlen);
	if (rc == 0)
		*p = q;
	return rc;
}

void
vfwd_vf_profile_format_value(const struct vfwd_vf_profile *p, size_t i,
			     char *buf, size_t len)
{
	const struct vfp_setting *s = &settings[i];
	const void *f = (const char *)p + s->off;

	switch (s->kind) {
	case VFP_MAC:
		if (p->mac_learn)
			snprintf(buf, len, "learn");
		else
			snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
				 p->mac[0], p->mac[1], p->mac[2], p->mac[3],
				 p->mac[4], p->mac[5]);
		break;
	case VFP_UINT:
		snprintf(buf, len, "%lu",
			 s->size == sizeof(uint8_t) ? (unsigned long)*(const uint8_t *)f :
			 s->size == sizeof(uint16_t) ? (unsigned long)*(const uint16_t *)f :
			 (unsigned long)*(const uint32_t *)f);
		break;
	case VFP_BOOL:
		snprintf(buf, len, "%s", *(const bool *)f ? "on" : "off");
		break;
	}
}

void
vfwd_vf_profile_format(const struct vfwd_vf_profile *p, char *buf, size_t len)
{
	char v[32];
	size_t i, used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < N_SETTINGS && used < len; i++) {
		if (!(p->given & settings[i].bit))
			continue;
		vfwd_vf_profile_format_value(p, i, v, sizeof(v));
		used += (size_t)snprintf(buf + used, len - used, "%s%s=%s",
					 used ? "," : "", settings[i].name, v);
	}
}
