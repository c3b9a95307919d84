# The cloudmap API (and CLI) as a container; docker-compose.yml runs it next to Neo4j.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY cloudmap ./cloudmap
COPY loaders ./loaders
COPY cypher ./cypher
RUN pip install --no-cache-dir . && useradd --create-home cloudmap
USER cloudmap
EXPOSE 8000
ENTRYPOINT ["cloudmap"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
