"""One error type for bad input, caught only at the edges.

Anything the user can fix (a malformed VCF record, a data line Java should not have sent, a wrong model
file, a flag out of range) raises :class:`InputError`: the CLI prints its one line and exits 2, the GATK
bridge turns it into a nack with the same message.  Every other exception is a bug and keeps its
traceback.  `where` names the place (file and line, contig:pos, the flag) so the message is actionable
without a stack.
"""

from __future__ import annotations


class InputError(ValueError):
    """Input the user can fix; `where` (file:line, contig:pos ref>alt, --flag) is printed before the message.

    A ValueError so that callers written against GATK's module (which raised ValueError) still catch it.
    """

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where
