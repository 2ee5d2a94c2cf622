/** The error a signal-interrupted command ends with, and its exit status. */
/**
 * Thrown when SIGINT/SIGTERM stopped a run after its checkpoint was saved: the process exits 130 / 143 (as
 * a shell reports a process killed by the signal), so `mmsn pretrain … && mmsn probe …` stops there.
 */
export class Interrupted extends Error {
  /** 130 for SIGINT, 143 for SIGTERM. */
  readonly exitCode: number;
  constructor(readonly signal: "SIGINT" | "SIGTERM") {
    super(`interrupted by ${signal}; the checkpoint is saved, continue with --resume`);
    this.name = "Interrupted";
    this.exitCode = signal === "SIGINT" ? 130 : 143;
  }
}
