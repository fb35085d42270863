/**
 * What a log line may say of an error: its class, its code, and where in the code it was
 * thrown. Never its message nor the first line of its stack (the message again): a driver's
 * or parser's message can quote the values it failed on, and those may be special-category
 * data from a referral.
 */
export interface ErrorFields {
  errName: string
  errCode?: string
  /** up to five stack frames (file:line:column), without the message */
  frames?: string[]
}

export function errorFields (err: unknown): ErrorFields {
  if (!(err instanceof Error)) return { errName: typeof err }
  const code = (err as { code?: unknown }).code
  const frames = (err.stack ?? '').split('\n').slice(1).map((l) => l.trim()).filter((l) => l.startsWith('at ')).slice(0, 5)
  return {
    errName: err.name,
    ...(typeof code === 'string' ? { errCode: code } : {}),
    ...(frames.length > 0 ? { frames } : {})
  }
}
