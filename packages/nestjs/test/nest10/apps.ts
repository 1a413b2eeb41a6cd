// The test apps on Nest 10: this directory is its own workspace package, where @nestjs/* resolve to 10.
import * as common from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { type Nest, type NestKit, nestKit } from '../helpers/kit.js';

export const nest10: NestKit = nestKit({ name: 'Nest 10', common, NestFactory, HttpAdapterHost, FastifyAdapter } as unknown as Nest);
