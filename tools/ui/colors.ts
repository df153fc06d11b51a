/** Colours for stderr: only when stderr is a terminal and NO_COLOR is unset (CI logs stay plain). */
import pc from 'picocolors';

export const colors = pc.createColors(Boolean(process.stderr.isTTY) && !process.env.NO_COLOR);
