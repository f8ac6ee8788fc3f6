/* SPDX-License-Identifier: ISC */
/*
 * fdio.h - reading a descriptor to its end, or to a line's.
 *
 * For the short messages that pass between this suite's processes over
 * pipes and sockets (a request to the helper, its answer, the verify
 * service's answer, a child's stderr): the writer sends one message and
 * closes, so the reader takes everything up to end of file; or, where the
 * message is one line, up to its newline.
 */
#ifndef APITOKEN_FDIO_H
#define APITOKEN_FDIO_H

#include <stddef.h>

/*
 * Read from fd into buf until len bytes, end of file, or an error other
 * than EINTR, whichever comes first; return how many bytes were read.  A
 * receive timeout on fd (SO_RCVTIMEO) ends the read as an error does.
 * Callers decide on what arrived: an error and a short message look alike.
 */
size_t fdio_read_all(int fd, void *buf, size_t len);

/*
 * As fdio_read_all, but done as soon as what was read ends in a newline:
 * a line-sized answer then costs one read(2), not a second one that waits
 * for the writer's close.
 */
size_t fdio_read_line(int fd, void *buf, size_t len);

#endif
