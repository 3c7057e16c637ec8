/**
 * The arithmetic of the example calculator agent (pure): an expression evaluator (a recursive-descent parser, never
 * `eval`) and unit conversion between units of one kind.
 *
 * Expressions: numbers (`1.5`, `2e3`), `+ - * / %`, `^` (right-associative power), parentheses, unary minus, the
 * constants `pi` and `e`, and the functions `sqrt abs round floor ceil ln log10 log2 exp sin cos tan min max pow`.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"

const functions: Readonly<Record<string, (...args: Array<number>) => number>> = {
  sqrt: Math.sqrt,
  abs: Math.abs,
  round: Math.round,
  floor: Math.floor,
  ceil: Math.ceil,
  ln: Math.log,
  log10: Math.log10,
  log2: Math.log2,
  exp: Math.exp,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  min: Math.min,
  max: Math.max,
  pow: Math.pow
}

const constants: Readonly<Record<string, number>> = { pi: Math.PI, e: Math.E }

/** The longest expression evaluated. */
const maxLength = 500

class Parser {
  private position = 0
  constructor(private readonly text: string) {}

  parse(): number {
    const value = this.sum()
    this.space()
    if (this.position < this.text.length) this.fail(`unexpected "${this.text[this.position]}"`)
    return value
  }

  private fail(message: string): never {
    throw new SyntaxError(`${message} at position ${this.position + 1}`)
  }

  private space() {
    while (this.position < this.text.length && /\s/.test(this.text[this.position]!)) this.position++
  }

  private eat(char: string): boolean {
    this.space()
    if (this.text[this.position] === char) {
      this.position++
      return true
    }
    return false
  }

  private sum(): number {
    let value = this.product()
    for (;;) {
      if (this.eat("+")) value += this.product()
      else if (this.eat("-")) value -= this.product()
      else return value
    }
  }

  private product(): number {
    let value = this.power()
    for (;;) {
      if (this.eat("*")) value *= this.power()
      else if (this.eat("/")) value /= this.power()
      else if (this.eat("%")) value %= this.power()
      else return value
    }
  }

  private power(): number {
    const base = this.unary()
    return this.eat("^") ? Math.pow(base, this.power()) : base
  }

  private unary(): number {
    if (this.eat("-")) return -this.unary()
    if (this.eat("+")) return this.unary()
    return this.atom()
  }

  private atom(): number {
    this.space()
    if (this.eat("(")) {
      const value = this.sum()
      if (!this.eat(")")) this.fail("expected \")\"")
      return value
    }
    const rest = this.text.slice(this.position)
    const number = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(rest)
    if (number !== null) {
      this.position += number[0].length
      return Number(number[0])
    }
    const word = /^[a-z][a-z0-9]*/i.exec(rest)
    if (word === null) return this.fail(rest.length === 0 ? "unexpected end" : `unexpected "${rest[0]}"`)
    this.position += word[0].length
    const name = word[0].toLowerCase()
    const fn = functions[name]
    if (fn !== undefined) {
      if (!this.eat("(")) this.fail(`expected "(" after ${name}`)
      const args = [this.sum()]
      while (this.eat(",")) args.push(this.sum())
      if (!this.eat(")")) this.fail("expected \")\"")
      return fn(...args)
    }
    const constant = constants[name]
    return constant ?? this.fail(`unknown name "${word[0]}"`)
  }
}

/**
 * The value of an expression, or why it has none.
 *
 * @since 0.1.0
 * @category utils
 */
export const evaluate = (expression: string): Either.Either<number, string> => {
  if (expression.length > maxLength) return Either.left(`the expression is longer than ${maxLength} characters`)
  try {
    const value = new Parser(expression).parse()
    return Number.isFinite(value) ? Either.right(value) : Either.left("the result is not a finite number")
  } catch (error) {
    return Either.left(error instanceof Error ? error.message : String(error))
  }
}

interface Unit {
  readonly kind: string
  /** To the kind's base unit. */
  readonly toBase: (value: number) => number
  readonly fromBase: (value: number) => number
}

const linear = (kind: string, factor: number): Unit => ({
  kind,
  toBase: (value) => value * factor,
  fromBase: (value) => value / factor
})

/**
 * The units known, by name.
 *
 * @since 0.1.0
 * @category constants
 */
export const units: Readonly<Record<string, Unit>> = {
  m: linear("length", 1),
  km: linear("length", 1000),
  cm: linear("length", 0.01),
  mm: linear("length", 0.001),
  mi: linear("length", 1609.344),
  yd: linear("length", 0.9144),
  ft: linear("length", 0.3048),
  in: linear("length", 0.0254),
  kg: linear("mass", 1),
  g: linear("mass", 0.001),
  mg: linear("mass", 0.000001),
  t: linear("mass", 1000),
  lb: linear("mass", 0.45359237),
  oz: linear("mass", 0.028349523125),
  l: linear("volume", 1),
  ml: linear("volume", 0.001),
  gal: linear("volume", 3.785411784),
  qt: linear("volume", 0.946352946),
  cup: linear("volume", 0.2365882365),
  s: linear("time", 1),
  min: linear("time", 60),
  h: linear("time", 3600),
  day: linear("time", 86400),
  week: linear("time", 604800),
  kmh: linear("speed", 1 / 3.6),
  ms: linear("speed", 1),
  mph: linear("speed", 0.44704),
  knot: linear("speed", 0.514444),
  c: { kind: "temperature", toBase: (value) => value, fromBase: (value) => value },
  f: { kind: "temperature", toBase: (value) => (value - 32) * 5 / 9, fromBase: (value) => value * 9 / 5 + 32 },
  k: { kind: "temperature", toBase: (value) => value - 273.15, fromBase: (value) => value + 273.15 }
}

/**
 * The unit names, for a tool's schema.
 *
 * @since 0.1.0
 * @category constants
 */
export const unitNames = Object.keys(units) as ReadonlyArray<string>

/**
 * A value converted between two units of one kind, or why it cannot be.
 *
 * @since 0.1.0
 * @category utils
 */
export const convert = (value: number, from: string, to: string): Either.Either<number, string> => {
  const source = units[from]
  const target = units[to]
  if (source === undefined) return Either.left(`unknown unit ${from}`)
  if (target === undefined) return Either.left(`unknown unit ${to}`)
  if (source.kind !== target.kind) {
    return Either.left(`cannot convert ${source.kind} (${from}) to ${target.kind} (${to})`)
  }
  return Either.right(target.fromBase(source.toBase(value)))
}
