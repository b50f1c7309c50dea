/**
 * The direct parser: tokens of one declaration -> AST, in one pass, for
 * declarations without syntax errors (nearly all of them).
 *
 * Chevrotain's parser (grammar/parser.ts) builds a concrete syntax tree that
 * build-ast.ts then reads into the AST, and it recovers from errors; for a
 * large file, building the parser, the trees, and the garbage they leave were
 * most of `flowc check`. This parser follows the same grammar and makes the
 * same decisions with the same lookahead (grammar/parser.ts lists them), builds
 * the AST that build-ast.ts builds from a tree without errors, and gives up
 * (returns undefined) at the first token the grammar does not allow there. The
 * declaration is then parsed again by Chevrotain, which reports the error and
 * recovers, so every diagnostic and every partial tree stays exactly as before.
 *
 * A change to the grammar must be made in both; test/frontend/direct.test.ts
 * compares the two on every corpus file and on many broken variants of them.
 */
import type { IToken, TokenType } from "chevrotain";
import * as T from "../grammar/tokens.js";
import type * as A from "./ast.js";
import type { Span } from "./source.js";

export function tokenSpan(token: IToken): Span {
  return { start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 };
}

export function unquote(image: string): string {
  const body = image.endsWith('"') && image.length >= 2 ? image.slice(1, -1) : image.slice(1);
  return body.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number {
  const match = /^(-?[0-9]+)(ms|s|m|h|d)$/.exec(text);
  if (!match) return Number.NaN;
  return Number(match[1]) * DURATION_UNITS[match[2]];
}

/** The parse of one declaration; undefined when it does not follow the grammar. */
export function parseDeclarationDirect(tokens: readonly IToken[]): A.Declaration | undefined {
  const parser = new DirectParser(tokens);
  try {
    const declaration = parser.declaration();
    // Chevrotain reports tokens left after a complete declaration.
    return parser.atEnd() ? declaration : undefined;
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
}

const GIVE_UP = new Error("not a declaration the direct parser reads");

/** The tokens a field name may be (rule `name`): any keyword. */
const NAME_TOKENS = new Set<TokenType>([T.Identifier, T.Import, T.Schema, T.Enum, T.Topic, T.Handler, T.Pipeline, T.From, T.In, T.Has, T.Else, T.And, T.Or, T.Not, T.True, T.False]);
/** The tokens an expression may start with. */
const EXPRESSION_FIRST = new Set<TokenType>([T.Not, T.Dot, T.StringLiteral, T.NumberLiteral, T.Duration, T.Minus, T.True, T.False, T.Identifier, T.Has, T.LParen, T.LBracket]);
/** The tokens an argument may start with: an expression, or its name. */
const ARGUMENT_FIRST = new Set<TokenType>([...EXPRESSION_FIRST, T.Else]);
const COMPARISONS = new Map<TokenType, A.ComparisonOperator>([
  [T.EqualEqual, "=="],
  [T.NotEqual, "!="],
  [T.LessEqual, "<="],
  [T.GreaterEqual, ">="],
  [T.Less, "<"],
  [T.Greater, ">"],
]);

/**
 * One method per grammar rule of grammar/parser.ts. Each returns what the
 * AstBuilder of build-ast.ts makes of that rule's tree, with the properties in
 * the same order (the AST is compared and written as JSON).
 */
class DirectParser {
  private pos = 0;

  constructor(private readonly tokens: readonly IToken[]) {}

  atEnd(): boolean {
    return this.pos === this.tokens.length;
  }

  private peek(): TokenType | undefined {
    return this.tokens[this.pos]?.tokenType;
  }

  private peekAt(offset: number): TokenType | undefined {
    return this.tokens[this.pos + offset]?.tokenType;
  }

  private consume(type: TokenType): IToken {
    const token = this.tokens[this.pos];
    if (token === undefined || token.tokenType !== type) throw GIVE_UP;
    this.pos++;
    return token;
  }

  /** From the start of `first` to the end of the last token consumed. */
  private spanFrom(first: IToken): Span {
    const last = this.tokens[this.pos - 1];
    return { start: first.startOffset, end: (last.endOffset ?? last.startOffset) + 1 };
  }

  private identifier(token: IToken): A.Identifier {
    return { kind: "Identifier", span: tokenSpan(token), text: token.image };
  }

  private stringLiteral(token: IToken): A.StringLiteral {
    return { kind: "StringLiteral", span: tokenSpan(token), value: unquote(token.image) };
  }

  declaration(): A.Declaration {
    const first = this.tokens[0];
    switch (first?.tokenType) {
      case T.Import: {
        this.pos++;
        const str = this.consume(T.StringLiteral);
        return { kind: "Import", span: this.spanFrom(first), path: this.stringLiteral(str) };
      }
      case T.Schema: {
        this.pos++;
        const name = this.consume(T.Identifier);
        const body = this.fieldBlock();
        return { kind: "Schema", span: this.spanFrom(first), name: this.identifier(name), body };
      }
      case T.Enum: {
        this.pos++;
        const name = this.consume(T.Identifier);
        this.consume(T.LBrace);
        const members: A.Identifier[] = [];
        while (this.peek() === T.Identifier) {
          members.push(this.identifier(this.consume(T.Identifier)));
          if (this.peek() === T.Comma) this.pos++;
        }
        this.consume(T.RBrace);
        return { kind: "Enum", span: this.spanFrom(first), name: this.identifier(name), members };
      }
      case T.Topic: {
        this.pos++;
        const name = this.consume(T.Identifier);
        this.consume(T.Colon);
        const type = this.typeRef();
        const options = this.peek() === T.LParen ? this.argumentList(T.LParen, T.RParen) : [];
        return { kind: "Topic", span: this.spanFrom(first), name: this.identifier(name), type, options };
      }
      case T.Handler: {
        this.pos++;
        const name = this.consume(T.Identifier);
        this.consume(T.LParen);
        const input = this.typeRef();
        this.consume(T.RParen);
        let output: A.TypeNode | undefined;
        if (this.peek() === T.Arrow) {
          this.pos++;
          output = this.typeRef();
        }
        this.consume(T.From);
        const module = this.consume(T.StringLiteral);
        return { kind: "Handler", span: this.spanFrom(first), name: this.identifier(name), input, output, module: this.stringLiteral(module) };
      }
      case T.Pipeline: {
        this.pos++;
        const name = this.consume(T.Identifier);
        this.consume(T.LBrace);
        const sources = [this.identifier(this.consume(T.Identifier))];
        while (this.peek() === T.Comma) {
          this.pos++;
          sources.push(this.identifier(this.consume(T.Identifier)));
        }
        const stages: A.Stage[] = [];
        while (this.peek() === T.Pipe) {
          this.pos++;
          stages.push(this.stage());
        }
        let sink: A.Sink | undefined;
        if (this.peek() === T.Arrow) {
          this.pos++;
          sink = this.sink();
        }
        this.consume(T.RBrace);
        return { kind: "Pipeline", span: this.spanFrom(first), name: this.identifier(name), sources, stages, sink };
      }
    }
    throw GIVE_UP;
  }

  private fieldBlock(): A.RecordTypeNode {
    const first = this.consume(T.LBrace);
    const fields: A.FieldNode[] = [];
    while (NAME_TOKENS.has(this.peek()!)) {
      const start = this.tokens[this.pos];
      const name = this.name();
      let optional = false;
      if (this.peek() === T.Question) {
        this.pos++;
        optional = true;
      }
      this.consume(T.Colon);
      const type = this.typeRef();
      fields.push({ kind: "Field", span: this.spanFrom(start), name, optional, type });
      if (this.peek() === T.Comma) this.pos++;
    }
    this.consume(T.RBrace);
    return { kind: "RecordType", span: this.spanFrom(first), fields };
  }

  private typeRef(): A.TypeNode {
    const first = this.tokens[this.pos];
    switch (first?.tokenType) {
      case T.Identifier:
        this.pos++;
        return { kind: "NamedType", span: this.spanFrom(first), name: this.identifier(first) };
      case T.LBracket: {
        this.pos++;
        const element = this.typeRef();
        this.consume(T.RBracket);
        return { kind: "ArrayType", span: this.spanFrom(first), element };
      }
      case T.LBrace:
        return this.fieldBlock();
    }
    throw GIVE_UP;
  }

  private stage(): A.Stage {
    const first = this.tokens[this.pos];
    if (first?.tokenType !== T.Identifier) throw GIVE_UP;
    const calls: A.Call[] = [];
    while (this.peek() === T.Identifier) calls.push(this.call());
    return { kind: "Stage", span: this.spanFrom(first), call: calls[0], policies: calls.slice(1) };
  }

  private call(): A.Call {
    const name = this.consume(T.Identifier);
    let args: A.Argument[] | undefined;
    let block = false;
    if (this.peek() === T.LParen) args = this.argumentList(T.LParen, T.RParen);
    else if (this.peek() === T.LBrace) {
      args = this.argumentList(T.LBrace, T.RBrace);
      block = true;
    }
    return { kind: "Call", span: this.spanFrom(name), name: this.identifier(name), args, block };
  }

  /** Rules argumentList and argumentBlock. */
  private argumentList(open: TokenType, close: TokenType): A.Argument[] {
    this.consume(open);
    const args: A.Argument[] = [];
    while (ARGUMENT_FIRST.has(this.peek()!)) {
      args.push(this.argument());
      if (this.peek() === T.Comma) this.pos++;
    }
    this.consume(close);
    return args;
  }

  private argument(): A.Argument {
    const first = this.tokens[this.pos];
    let name: A.Identifier | undefined;
    // The name is taken on 'else', or on a name followed by ':' (two tokens of lookahead).
    if (first.tokenType === T.Else || (first.tokenType === T.Identifier && this.peekAt(1) === T.Colon)) {
      this.pos++;
      this.consume(T.Colon);
      name = this.identifier(first);
    }
    const value = this.expression();
    return { kind: "Argument", span: this.spanFrom(first), name, value };
  }

  private sink(): A.Sink {
    const first = this.tokens[this.pos];
    if (first?.tokenType === T.Identifier) {
      this.pos++;
      return { kind: "TopicSink", span: this.spanFrom(first), topic: this.identifier(first) };
    }
    this.consume(T.LBrace);
    const routes: A.LaneRoute[] = [];
    while (this.peek() === T.Identifier) {
      const lane = this.consume(T.Identifier);
      this.consume(T.Colon);
      const topic = this.consume(T.Identifier);
      routes.push({ kind: "LaneRoute", span: this.spanFrom(lane), lane: this.identifier(lane), topic: this.identifier(topic) });
      if (this.peek() === T.Comma) this.pos++;
    }
    this.consume(T.RBrace);
    return { kind: "LaneSink", span: this.spanFrom(first), routes };
  }

  // --- expressions -------------------------------------------------------------
  private expression(): A.Expression {
    let result = this.andExpression();
    while (this.peek() === T.Or) {
      this.pos++;
      result = binary(result, "or", this.andExpression());
    }
    return result;
  }

  private andExpression(): A.Expression {
    let result = this.notExpression();
    while (this.peek() === T.And) {
      this.pos++;
      result = binary(result, "and", this.notExpression());
    }
    return result;
  }

  private notExpression(): A.Expression {
    const first = this.tokens[this.pos];
    if (first?.tokenType === T.Not) {
      this.pos++;
      const operand = this.notExpression();
      return { kind: "Not", span: this.spanFrom(first), operand };
    }
    return this.comparison();
  }

  private comparison(): A.Expression {
    const first = this.tokens[this.pos];
    const left = this.rangeExpression();
    const next = this.peek();
    if (next === T.Not || next === T.In) {
      let negated = false;
      if (next === T.Not) {
        this.pos++;
        negated = true;
      }
      this.consume(T.In);
      const list = this.listExpression();
      return { kind: "In", span: this.spanFrom(first), negated, value: left, list };
    }
    const operator = next === undefined ? undefined : COMPARISONS.get(next);
    if (operator !== undefined) {
      this.pos++;
      const right = this.rangeExpression();
      return { kind: "Binary", span: this.spanFrom(first), operator, left, right };
    }
    return left;
  }

  private rangeExpression(): A.Expression {
    const first = this.tokens[this.pos];
    const from = this.primary();
    if (this.peek() !== T.Range) return from;
    this.pos++;
    const to = this.primary();
    return { kind: "Range", span: this.spanFrom(first), from, to };
  }

  private primary(): A.Expression {
    const first = this.tokens[this.pos];
    switch (first?.tokenType) {
      case T.Dot:
        return this.path();
      case T.StringLiteral:
        this.pos++;
        return { kind: "String", span: this.spanFrom(first), value: unquote(first.image) };
      case T.NumberLiteral:
        this.pos++;
        return { kind: "Number", span: this.spanFrom(first), value: Number(first.image), text: first.image };
      case T.Duration:
        this.pos++;
        return { kind: "Duration", span: this.spanFrom(first), milliseconds: parseDuration(first.image), text: first.image };
      case T.Minus: {
        this.pos++;
        const literal = this.tokens[this.pos];
        const text = "-" + (literal?.image ?? "");
        if (literal?.tokenType === T.NumberLiteral) {
          this.pos++;
          return { kind: "Number", span: this.spanFrom(first), value: Number(text), text };
        }
        if (literal?.tokenType === T.Duration) {
          this.pos++;
          return { kind: "Duration", span: this.spanFrom(first), milliseconds: parseDuration(text), text };
        }
        throw GIVE_UP;
      }
      case T.True:
      case T.False:
        this.pos++;
        return { kind: "Bool", span: this.spanFrom(first), value: first.tokenType === T.True };
      case T.Identifier:
        this.pos++;
        return { kind: "Name", span: this.spanFrom(first), name: this.identifier(first) };
      case T.Has: {
        this.pos++;
        this.consume(T.LParen);
        const path = this.path();
        this.consume(T.RParen);
        return { kind: "Has", span: this.spanFrom(first), path };
      }
      case T.LParen: {
        this.pos++;
        const inner = this.expression();
        this.consume(T.RParen);
        return { kind: "Paren", span: this.spanFrom(first), inner };
      }
      case T.LBracket:
        return this.listExpression();
    }
    throw GIVE_UP;
  }

  private listExpression(): A.ListExpr {
    const first = this.consume(T.LBracket);
    const items: A.Expression[] = [];
    while (EXPRESSION_FIRST.has(this.peek()!)) {
      items.push(this.expression());
      if (this.peek() === T.Comma) this.pos++;
    }
    this.consume(T.RBracket);
    return { kind: "List", span: this.spanFrom(first), items };
  }

  private path(): A.PathExpr {
    const first = this.consume(T.Dot);
    const segments = [this.name()];
    while (this.peek() === T.Dot) {
      this.pos++;
      segments.push(this.name());
    }
    return { kind: "Path", span: this.spanFrom(first), segments };
  }

  private name(): A.Identifier {
    const token = this.tokens[this.pos];
    if (token === undefined || !NAME_TOKENS.has(token.tokenType)) throw GIVE_UP;
    this.pos++;
    return this.identifier(token);
  }
}

/** An and/or node; its span covers both sides, as build-ast.ts makes it. */
function binary(left: A.Expression, operator: A.LogicalOperator, right: A.Expression): A.Expression {
  const span = { start: Math.min(left.span.start, right.span.start), end: Math.max(left.span.end, right.span.end) };
  return { kind: "Binary", span, operator, left, right };
}
