/* SPDX-License-Identifier: ISC */
/* The floor for the non-root path: a static setuid program that does nothing.
 */
int
main(void)
{
	return 0;
}
