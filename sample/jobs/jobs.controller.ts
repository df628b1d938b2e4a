import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { Orchestrator, type JobState } from '../../lib';

/** Lets a client follow any job it published: status, attempt, result or error. */
@Controller('jobs')
export class JobsController {
  constructor(private readonly orchestrator: Orchestrator) {}

  @Get(':id')
  async get(@Param('id') id: string): Promise<JobState> {
    const job = await this.orchestrator.getJob(id);
    if (!job) {
      throw new NotFoundException(
        `No job with id "${id}" — it was never published here, or finished so long ago that it is no longer kept`,
      );
    }
    return job;
  }
}
