# SPDX-License-Identifier: GPL-2.0
# make install (PREFIX, DESTDIR) and make deb: the files are in packaging/,
# the layout is documented in docs/operations.md.

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/rsttrace
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# systemd reads units from /usr/local/lib/systemd/system too.
UNITDIR ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSCONFDIR ?= /etc
LOGDIR ?= /var/log/rsttrace
INSTALL ?= install

.PHONY: install uninstall deb

install: rsttrace
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(INSTALL) -d -m 0750 $(DESTDIR)$(LOGDIR)
	$(INSTALL) -m 0755 rsttrace $(DESTDIR)$(SBINDIR)/rsttrace
	sed 's/@VERSION@/$(VERSION)/' packaging/rsttrace.8 | gzip -9n > $(DESTDIR)$(MANDIR)/man8/rsttrace.8.gz
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/rsttrace.8.gz
	$(INSTALL) -m 0644 packaging/rsttrace.bash-completion $(DESTDIR)$(BASHCOMPDIR)/rsttrace
	sed 's|@SBINDIR@|$(SBINDIR)|' packaging/rsttrace.service.in > $(DESTDIR)$(UNITDIR)/rsttrace.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/rsttrace.service
	$(INSTALL) -m 0644 packaging/rsttrace.tmpfiles $(DESTDIR)$(TMPFILESDIR)/rsttrace.conf
	$(INSTALL) -m 0644 packaging/rsttrace.default $(DESTDIR)$(SYSCONFDIR)/default/rsttrace
	$(INSTALL) -m 0644 packaging/rsttrace.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/rsttrace
	$(INSTALL) -m 0644 docs/schema.md docs/diagnosis.md docs/operations.md docs/metrics.md \
		docs/kubernetes.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 packaging/journal.conf deploy/shipping/* deploy/prometheus/* \
		deploy/daemonset.yaml $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/rsttrace $(DESTDIR)$(MANDIR)/man8/rsttrace.8.gz \
		$(DESTDIR)$(BASHCOMPDIR)/rsttrace $(DESTDIR)$(UNITDIR)/rsttrace.service \
		$(DESTDIR)$(TMPFILESDIR)/rsttrace.conf $(DESTDIR)$(SYSCONFDIR)/default/rsttrace \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/rsttrace
	rm -rf $(DESTDIR)$(DOCDIR)
	-rmdir $(DESTDIR)$(LOGDIR)

# A .deb of the same tree, installed under /usr: rsttrace_VERSION_ARCH.deb.
deb: rsttrace
	sh packaging/deb.sh $(VERSION)
