/* tls.h - the eBPF backend's TLS library hooks (docs/tls.md): finds the
 * files that carry OpenSSL's API (libssl.so*, executables exporting
 * SSL_write such as node), chooses where each uprobe sits (x86.h: a site the
 * kernel emulates, else the costly single-stepped entry with a warning),
 * attaches bpf/ssl.bpf.h's programs once per file, and tells the engine
 * (META_TLS_LIB, META_TLS_STATE). Files are found at start (the system's
 * libraries, the command `run` starts), in attached processes' maps, and
 * as traced processes exec or open them. Owns the links; the skeleton and
 * the engine are borrowed. */
#ifndef ADI_EBPF_TLS_H
#define ADI_EBPF_TLS_H

#include <stdbool.h>
#include <stdint.h>
#include "../../lib/raw_event.h"
#include "../../core/engine.h"

struct adi_bpf;
struct adi_tls_hooks;
struct bpf_link;

/* An attached program: a libbpf link, or (link NULL) the descriptor of a
 * link libbpf 1.1 cannot make (uprobe_multi). Owned by whoever holds it. */
struct adi_ebpf_link {
	struct bpf_link *link;
	int fd;
};
/* Detaches it (waits for the kernel's grace period) and empties it. */
void adi_ebpf_link_destroy(struct adi_ebpf_link *l);

/* Hooks for skel's programs, telling eng. off: --no-tls-plaintext (nothing
 * is ever attached; the engine is told why). NULL without memory. */
/* Before the skeleton loads: when the kernel has uprobe_multi links
 * (Linux 6.6; ADI_NO_UPROBE_MULTI=1 says no), the uprobe programs are
 * made for them and true is returned; pass it as multi below. */
bool adi_tls_multi_prepare(struct adi_bpf *skel);
struct adi_tls_hooks *adi_tls_hooks_new(struct adi_bpf *skel, struct adi_engine *eng, bool off,
				       bool multi);
void adi_tls_hooks_free(struct adi_tls_hooks *h); /* detaches; accepts NULL */
/* Its uprobe links, handed to the caller, who destroys them (each detach
 * waits for a grace period: the caller does them together); *n of them,
 * the array malloc'ed (free it), NULL when none. The hooks keep none. */
struct adi_ebpf_link *adi_tls_hooks_take_links(struct adi_tls_hooks *h, size_t *n);

/* The trace begins: the state is told and the system's OpenSSL libraries
 * (libssl.so* in the usual library directories) are hooked, so processes
 * started later are covered from their first call. */
void adi_tls_hooks_start(struct adi_tls_hooks *h);

/* `run` is about to exec cmd (argv[0], looked up in PATH like execvp):
 * an executable with OpenSSL linked in is hooked before it runs. */
void adi_tls_hooks_command(struct adi_tls_hooks *h, const char *cmd);

/* A process joins the trace (attach): the files it maps now. */
void adi_tls_hooks_scan_pid(struct adi_tls_hooks *h, uint32_t pid);

/* A record of the trace: an exec or the open of a library named like an
 * SSL one makes a file to look at (and a look at the process's maps a
 * little later, for libraries opened under other names). */
void adi_tls_hooks_event(struct adi_tls_hooks *h, const struct adi_raw_event *ev);

/* Called from the poll loop: the delayed looks that are due. */
void adi_tls_hooks_tick(struct adi_tls_hooks *h);

#endif
